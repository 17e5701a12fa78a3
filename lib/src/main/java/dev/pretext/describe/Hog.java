package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dalal-Triggs histogram of oriented gradients on the luma image.
 *
 * <ul>
 *   <li>luma = (0.299 R + 0.587 G + 0.114 B) / 255;</li>
 *   <li>gradients by the centred [-1, 0, 1] difference; zero on the outermost row (for d/dy) and
 *       column (for d/dx), where the centred difference is undefined (scikit-image's convention);</li>
 *   <li>unsigned orientation in [0, 180) degrees, {@code bins} bins whose centres are
 *       {@code b * 180 / bins} (bin 0 holds horizontal gradients, i.e. vertical edges); each pixel's
 *       magnitude is split linearly between the two nearest bin centres (circularly);</li>
 *   <li>cells of {@code cellSize} x {@code cellSize} pixels from the top-left corner; rows/columns
 *       beyond the last whole cell are ignored; no spatial interpolation between cells and no
 *       Gaussian block window (Dalal-Triggs' optional refinements);</li>
 *   <li>blocks of {@code blockSize} x {@code blockSize} cells with a stride of one cell,
 *       L2-Hys normalised: v / sqrt(|v|^2 + eps^2), clipped at {@code clip}, renormalised the same way,
 *       eps = 1e-5.</li>
 * </ul>
 *
 * Output layout: blocks in row-major order, within a block its cells in row-major order, within a
 * cell its bins: length {@code (H/cell - block + 1) * (W/cell - block + 1) * block^2 * bins}
 * (integer division), e.g. 324 for 32x32 and 4356 for 96x96 with the defaults.
 */
public final class Hog implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "hog";
    static final double EPS = 1e-5;

    private final int cellSize;
    private final int bins;
    private final int blockSize;
    private final double clip;

    /** 8x8-pixel cells, 9 bins, 2x2-cell blocks, L2-Hys clip 0.2: Dalal and Triggs' defaults. */
    public Hog() {
        this(8, 9, 2, 0.2);
    }

    public Hog(int cellSize, int bins, int blockSize, double clip) {
        if (cellSize < 1) {
            throw new UserError("descriptor 'hog': cell-size must be >= 1 pixel, got " + cellSize);
        }
        if (bins < 2) {
            throw new UserError("descriptor 'hog': bins must be >= 2, got " + bins);
        }
        if (blockSize < 1) {
            throw new UserError("descriptor 'hog': block-size must be >= 1 cell, got " + blockSize);
        }
        if (!(clip > 0 && clip <= 1)) {
            throw new UserError("descriptor 'hog': clip must be in (0, 1], got " + clip);
        }
        this.cellSize = cellSize;
        this.bins = bins;
        this.blockSize = blockSize;
        this.clip = clip;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int dimension(int height, int width) {
        checkSize(height, width, null);
        return blocks(height) * blocks(width) * blockSize * blockSize * bins;
    }

    private int blocks(int side) {
        return side / cellSize - blockSize + 1;
    }

    private void checkSize(int height, int width, String imageId) {
        if (blocks(height) < 1 || blocks(width) < 1) {
            throw RgbPlanes.tooSmall(NAME, imageId, height, width, "needs at least " + cellSize * blockSize
                    + " pixels per side (block-size " + blockSize + " x cell-size " + cellSize + ")");
        }
    }

    @Override
    public float[] compute(ImageRecord image) {
        ImageRecord rgb = RgbPlanes.rgb(image, NAME);
        int h = rgb.height();
        int w = rgb.width();
        checkSize(h, w, rgb.id());
        int blocksY = blocks(h);
        int blocksX = blocks(w);
        double[] luma = luma(rgb);
        int cellsY = h / cellSize;
        int cellsX = w / cellSize;
        double[] hist = cellHistograms(luma, h, w, cellsY, cellsX);

        int blockLen = blockSize * blockSize * bins;
        float[] out = new float[blocksY * blocksX * blockLen];
        double[] v = new double[blockLen];
        int o = 0;
        for (int by = 0; by < blocksY; by++) {
            for (int bx = 0; bx < blocksX; bx++) {
                int k = 0;
                for (int cy = by; cy < by + blockSize; cy++) {
                    for (int cx = bx; cx < bx + blockSize; cx++) {
                        System.arraycopy(hist, (cy * cellsX + cx) * bins, v, k, bins);
                        k += bins;
                    }
                }
                l2Hys(v);
                for (double x : v) {
                    out[o++] = (float) x;
                }
            }
        }
        return out;
    }

    private static double[] luma(ImageRecord rgb) {
        byte[] d = rgb.data();
        double[] g = new double[rgb.height() * rgb.width()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (0.299 * (d[3 * i] & 0xff) + 0.587 * (d[3 * i + 1] & 0xff) + 0.114 * (d[3 * i + 2] & 0xff)) / 255.0;
        }
        return g;
    }

    private double[] cellHistograms(double[] g, int h, int w, int cellsY, int cellsX) {
        double[] hist = new double[cellsY * cellsX * bins];
        double binWidth = 180.0 / bins;
        for (int y = 0; y < cellsY * cellSize; y++) {
            for (int x = 0; x < cellsX * cellSize; x++) {
                double gx = x > 0 && x < w - 1 ? g[y * w + x + 1] - g[y * w + x - 1] : 0.0;
                double gy = y > 0 && y < h - 1 ? g[(y + 1) * w + x] - g[(y - 1) * w + x] : 0.0;
                double mag = StrictMath.sqrt(gx * gx + gy * gy);
                if (mag == 0.0) {
                    continue;
                }
                double deg = StrictMath.toDegrees(StrictMath.atan2(gy, gx));
                if (deg < 0) {
                    deg += 180.0;
                }
                if (deg >= 180.0) {
                    deg -= 180.0;
                }
                double pos = deg / binWidth;
                int b0 = (int) pos;
                double frac = pos - b0;
                b0 %= bins;
                int b1 = (b0 + 1) % bins;
                int base = ((y / cellSize) * cellsX + x / cellSize) * bins;
                hist[base + b0] += mag * (1.0 - frac);
                hist[base + b1] += mag * frac;
            }
        }
        return hist;
    }

    private void l2Hys(double[] v) {
        scaleToUnit(v);
        for (int i = 0; i < v.length; i++) {
            if (v[i] > clip) {
                v[i] = clip;
            }
        }
        scaleToUnit(v);
    }

    private static void scaleToUnit(double[] v) {
        double ss = 0;
        for (double x : v) {
            ss += x * x;
        }
        double inv = 1.0 / StrictMath.sqrt(ss + EPS * EPS);
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("cell-size", cellSize);
        p.put("bins", bins);
        p.put("block-size", blockSize);
        p.put("block-stride", 1);
        p.put("clip", clip);
        p.put("normalisation", "L2-Hys, eps " + EPS);
        p.put("input", "luma 0.299R+0.587G+0.114B, /255");
        p.put("gradient", "centred [-1,0,1], zero on the outermost row/column");
        p.put("orientation", "unsigned, bin centres b*180/bins, linear interpolation between bins");
        p.put("layout", "[blockY][blockX][cellY][cellX][bin]");
        return java.util.Collections.unmodifiableMap(p);
    }
}
