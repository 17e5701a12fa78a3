package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pre-optimisation {@link Scattering}, kept unchanged as a reference: the tests check the fast
 * implementation against it (within 1e-5), and {@code bin/pretext bench describe} times both on the
 * same images. Not registered as a descriptor; use {@link Scattering}. Its algorithm and output are
 * those described below (one straightforward complex FFT per step, fresh arrays per call).
 *
 * <p>The 2-D scattering transform of each colour channel (pixel / 255), orders 0, 1 and 2, following
 * Kymatio's {@code Scattering2D} algorithm with the filters of {@link MorletFilterBank}:
 * <pre>
 *   S0 = x * phi                                   subsampled by 2^J
 *   S1[j1,t1] = |x * psi[j1,t1]| * phi            subsampled by 2^J
 *   S2[j1,t1,j2,t2] = ||x * psi[j1,t1]| * psi[j2,t2]| * phi   for j2 > j1, subsampled by 2^J
 * </pre>
 * computed as Kymatio does: each modulus is taken at its own scale's resolution (|x * psi_j| is
 * subsampled by 2^j before the next convolution, in the Fourier domain), all convolutions are
 * circular on the padded grid.
 *
 * <p>Padding: each side is reflected (numpy's {@code reflect}, edge not repeated) to the next power
 * of two P >= side + 2 * 2^J, with the image at an offset that is a multiple of 2^J (so output
 * sample i sits on image pixel i * 2^J) and at least 2^J pixels of reflection on each side. The
 * output keeps the ceil(side / 2^J) samples that fall on the image.
 *
 * <p>Output layout, as Kymatio's (B, C, K, H', W') flattened: [channel][k][row][column] with
 * k = 0 the order-0 coefficient, then order 1 for n1 = j1 * L + t1, then order 2 for (n1, n2)
 * with j2 > j1 in lexicographic order. K = 1 + J L + L^2 J (J - 1) / 2 (81 for J = 2, L = 8), and
 * the length is 3 K ceil(H / 2^J) ceil(W / 2^J) (3 * 81 * 24 * 24 = 139968 for 96x96).
 *
 * <p>Filters are built once per image size and cached (transient, rebuilt after deserialisation).
 */
public final class ScatteringReference implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "scattering";
    static final int MAX_J = 6;
    static final int MAX_L = 32;

    private final int bigJ;
    private final int bigL;
    private transient volatile ConcurrentHashMap<Long, MorletFilterBank> banks;

    /** J = 2, L = 8, as in MV-MR (and Kymatio's usual setting for small images). */
    public ScatteringReference() {
        this(2, 8);
    }

    public ScatteringReference(int bigJ, int bigL) {
        if (bigJ < 1 || bigJ > MAX_J) {
            throw new UserError("descriptor 'scattering': j must be in [1, " + MAX_J + "], got " + bigJ);
        }
        if (bigL < 1 || bigL > MAX_L) {
            throw new UserError("descriptor 'scattering': l must be in [1, " + MAX_L + "], got " + bigL);
        }
        this.bigJ = bigJ;
        this.bigL = bigL;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Scattering channels per colour channel: 1 + J L + L^2 J (J - 1) / 2. */
    public int channelsPerInput() {
        return 1 + bigJ * bigL + bigL * bigL * bigJ * (bigJ - 1) / 2;
    }

    @Override
    public int dimension(int height, int width) {
        checkSize(height, width, null);
        return RgbPlanes.CHANNELS * channelsPerInput() * outSide(height) * outSide(width);
    }

    private int outSide(int side) {
        return (side + (1 << bigJ) - 1) >> bigJ;
    }

    private void checkSize(int height, int width, String imageId) {
        if (height < 1 || width < 1) {
            throw RgbPlanes.tooSmall(NAME, imageId, height, width, "needs at least 1x1");
        }
        if (height > 4096 || width > 4096) {
            throw new UserError("descriptor 'scattering'" + (imageId == null ? "" : ", image '" + imageId + "'")
                    + ": image size " + width + "x" + height + " is too large; at most 4096 pixels per side");
        }
    }

    /** Padded side for an image side: the next power of two with room for 2^J of reflection each side. */
    int paddedSide(int side) {
        return Fft.nextPowerOfTwo(side + 2 * (1 << bigJ));
    }

    /** Offset of the image in the padded grid: centred, rounded down to a multiple of 2^J. */
    int offset(int side) {
        return ((paddedSide(side) - side) / 2 >> bigJ) << bigJ;
    }

    MorletFilterBank bank(int height, int width) {
        ConcurrentHashMap<Long, MorletFilterBank> m = banks;
        if (m == null) {
            synchronized (this) {
                if (banks == null) {
                    banks = new ConcurrentHashMap<>();
                }
                m = banks;
            }
        }
        int rows = paddedSide(height);
        int cols = paddedSide(width);
        return m.computeIfAbsent(((long) rows << 32) | cols, k -> new MorletFilterBank(rows, cols, bigJ, bigL));
    }

    @Override
    public float[] compute(ImageRecord image) {
        int[] planes = RgbPlanes.planes(image, NAME);
        int h = image.height();
        int w = image.width();
        checkSize(h, w, image.id());
        MorletFilterBank bank = bank(h, w);
        int outH = outSide(h);
        int outW = outSide(w);
        int k = channelsPerInput();
        int rowOff = offset(h) >> bigJ;
        int colOff = offset(w) >> bigJ;
        int coarseCols = bank.cols >> bigJ;
        float[] out = new float[RgbPlanes.CHANNELS * k * outH * outW];
        int o = 0;
        for (int c = 0; c < RgbPlanes.CHANNELS; c++) {
            double[][] s = transformPadded(pad(planes, c, h, w, bank), bank, true);
            for (double[] map : s) {
                for (int y = 0; y < outH; y++) {
                    int row = (rowOff + y) * coarseCols + colOff;
                    for (int x = 0; x < outW; x++) {
                        out[o++] = (float) map[row + x];
                    }
                }
            }
        }
        return out;
    }

    /** Channel {@code c} of the CHW planes, scaled to 0..1 and reflect-padded to the bank's grid. */
    double[] pad(int[] planes, int c, int h, int w, MorletFilterBank bank) {
        int[] rowIdx = reflectIndex(h, offset(h), bank.rows);
        int[] colIdx = reflectIndex(w, offset(w), bank.cols);
        int base = c * h * w;
        double[] x = new double[bank.rows * bank.cols];
        for (int y = 0; y < bank.rows; y++) {
            int src = base + rowIdx[y] * w;
            for (int z = 0; z < bank.cols; z++) {
                x[y * bank.cols + z] = planes[src + colIdx[z]] / 255.0;
            }
        }
        return x;
    }

    /** Image index of each padded position, numpy 'reflect' extended periodically (any pad width). */
    static int[] reflectIndex(int size, int offset, int padded) {
        int[] idx = new int[padded];
        int period = 2 * (size - 1);
        for (int i = 0; i < padded; i++) {
            if (size == 1) {
                idx[i] = 0;
                continue;
            }
            int p = Math.floorMod(i - offset, period);
            idx[i] = p < size ? p : period - p;
        }
        return idx;
    }

    /**
     * All K scattering maps of one padded channel on the whole padded grid: subsampled by 2^J
     * (Kymatio's algorithm) when {@code subsample}, else every convolution at full resolution
     * (an exact, alias-free reference, used by the tests).
     */
    double[][] transformPadded(double[] x, MorletFilterBank bank, boolean subsample) {
        int rows = bank.rows;
        int cols = bank.cols;
        double[][] out = new double[channelsPerInput()][];
        double[] re0 = x.clone();
        double[] im0 = new double[re0.length];
        Fft.transform2d(re0, im0, rows, cols, false);

        out[0] = lowPass(re0, im0, 0, bank, subsample);
        int next2 = 1 + bigJ * bigL;
        int n = bigJ * bigL;
        for (int n1 = 0; n1 < n; n1++) {
            int j1 = n1 / bigL;
            int res1 = subsample ? j1 : 0;
            Complex u1 = modulusInFourier(re0, im0, 0, bank.psi[n1][0], res1, bank);
            out[1 + n1] = lowPass(u1.re, u1.im, res1, bank, subsample);
            for (int n2 = 0; n2 < n; n2++) {
                int j2 = n2 / bigL;
                if (j2 <= j1) {
                    continue;
                }
                int res2 = subsample ? j2 : 0;
                Complex u2 = modulusInFourier(u1.re, u1.im, res1, bank.psi[n2][res1], res2, bank);
                out[next2++] = lowPass(u2.re, u2.im, res2, bank, subsample);
            }
        }
        return out;
    }

    private record Complex(double[] re, double[] im) {
    }

    /** FFT of |IFFT(subsample(X * filter))|: X at resolution {@code from}, result at {@code to}. */
    private static Complex modulusInFourier(double[] re, double[] im, int from, double[] filter, int to,
                                           MorletFilterBank bank) {
        Complex z = filterAndSubsample(re, im, from, filter, to, bank);
        int rows = bank.rows >> to;
        int cols = bank.cols >> to;
        Fft.transform2d(z.re, z.im, rows, cols, true);
        for (int i = 0; i < z.re.length; i++) {
            z.re[i] = StrictMath.sqrt(z.re[i] * z.re[i] + z.im[i] * z.im[i]);
            z.im[i] = 0;
        }
        Fft.transform2d(z.re, z.im, rows, cols, false);
        return z;
    }

    /** Real part of IFFT(subsample(X * phi)): the low-pass output at resolution J (or 0). */
    private double[] lowPass(double[] re, double[] im, int from, MorletFilterBank bank, boolean subsample) {
        int to = subsample ? bigJ : 0;
        Complex z = filterAndSubsample(re, im, from, bank.phi[from], to, bank);
        Fft.transform2d(z.re, z.im, bank.rows >> to, bank.cols >> to, true);
        return z.re;
    }

    /**
     * (X * filter) periodised onto the grid of resolution {@code to}: the mean over the aliases, which
     * is the DFT of the spatially subsampled signal (Kymatio's {@code subsample_fourier}).
     */
    private static Complex filterAndSubsample(double[] re, double[] im, int from, double[] filter, int to,
                                              MorletFilterBank bank) {
        int rows = bank.rows >> from;
        int cols = bank.cols >> from;
        int k = 1 << (to - from);
        int outRows = rows / k;
        int outCols = cols / k;
        double[] ore = new double[outRows * outCols];
        double[] oim = new double[outRows * outCols];
        for (int y = 0; y < rows; y++) {
            int oy = (y % outRows) * outCols;
            int row = y * cols;
            for (int x = 0; x < cols; x++) {
                int i = row + x;
                double f = filter[i];
                int oi = oy + x % outCols;
                ore[oi] += re[i] * f;
                oim[oi] += im[i] * f;
            }
        }
        if (k > 1) {
            double s = 1.0 / ((double) k * k);
            for (int i = 0; i < ore.length; i++) {
                ore[i] *= s;
                oim[i] *= s;
            }
        }
        return new Complex(ore, oim);
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("j", bigJ);
        p.put("l", bigL);
        p.put("max-order", 2);
        p.put("channels-per-input", channelsPerInput());
        p.put("wavelet", "Kymatio Morlet: sigma 0.8*2^j, xi 3pi/4/2^j, slant 4/L; phi sigma 0.8*2^(J-1)");
        p.put("input", "pixel/255 per colour channel");
        p.put("padding", "reflect to next power of two >= side + 2*2^J, image at a multiple of 2^J");
        p.put("layout", "[channel][order0, order1 (j1,t1), order2 (j1,t1,j2,t2; j2>j1)][row/2^J][column/2^J]");
        return Collections.unmodifiableMap(p);
    }
}
