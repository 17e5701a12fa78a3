package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The local standard deviation filter ("LSD" in MV-MR): for every pixel and colour channel, the
 * population standard deviation (divide by n, not n - 1) of the {@code window x window}
 * neighbourhood, on the 0..1 scale (pixel / 255).
 *
 * <p>Border: symmetric padding with the edge pixel repeated (... b a | a b c ...; scipy.ndimage's
 * {@code reflect}, numpy's {@code symmetric}): it is defined for any image size and does not
 * invent the flat zero border that zero padding would read as a strong edge.
 *
 * <p>Exact: the window sums are integers, so n*sum(x^2) - sum(x)^2 is computed exactly and a
 * constant neighbourhood gives exactly 0.
 *
 * <p>Output layout CHW (channel planes, rows, columns), length 3 * H * W.
 */
public final class LocalStd implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "lsd";

    private final int window;

    /** The 3x3 filter used by MV-MR. */
    public LocalStd() {
        this(3);
    }

    public LocalStd(int window) {
        if (window < 1 || window % 2 == 0 || window > 255) {
            throw new UserError("descriptor 'lsd': window must be an odd number of pixels in [1, 255], got " + window);
        }
        this.window = window;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int dimension(int height, int width) {
        return RgbPlanes.pixelCount(NAME, height, width);
    }

    @Override
    public float[] compute(ImageRecord image) {
        int[] planes = RgbPlanes.planes(image, NAME);
        int h = image.height();
        int w = image.width();
        int plane = h * w;
        int r = window / 2;
        long n = (long) window * window;
        double scale = 1.0 / (n * 255.0);
        int[] rowIdx = symmetric(h, r);
        int[] colIdx = symmetric(w, r);
        float[] out = new float[planes.length];
        for (int c = 0; c < RgbPlanes.CHANNELS; c++) {
            int base = c * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    long sum = 0;
                    long sumSq = 0;
                    for (int dy = 0; dy < window; dy++) {
                        int row = base + rowIdx[y + dy] * w;
                        for (int dx = 0; dx < window; dx++) {
                            long v = planes[row + colIdx[x + dx]];
                            sum += v;
                            sumSq += v * v;
                        }
                    }
                    long nVar = n * sumSq - sum * sum;
                    out[base + y * w + x] = (float) (StrictMath.sqrt((double) nVar) * scale);
                }
            }
        }
        return out;
    }

    /** Source index of each padded position -r .. size-1+r (shifted by r), symmetric padding. */
    private static int[] symmetric(int size, int r) {
        int[] idx = new int[size + 2 * r];
        int period = 2 * size;
        for (int i = 0; i < idx.length; i++) {
            int p = Math.floorMod(i - r, period);
            idx[i] = p < size ? p : period - 1 - p;
        }
        return idx;
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("window", window);
        p.put("statistic", "population standard deviation of pixel/255");
        p.put("border", "symmetric (edge repeated)");
        p.put("layout", "[channel][row][column]");
        return Collections.unmodifiableMap(p);
    }
}
