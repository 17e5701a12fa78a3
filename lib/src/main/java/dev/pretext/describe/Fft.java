package dev.pretext.describe;

import java.util.concurrent.ConcurrentHashMap;

/**
 * In-place radix-2 complex FFT on split real/imaginary double arrays, 1-D and 2-D (row-major).
 * Forward: X[k] = sum_n x[n] exp(-2 pi i k n / N); inverse divides by N (numpy's convention).
 *
 * <p>Only powers of two: {@link Scattering} pads every image to such a size anyway. Twiddles come
 * from {@link StrictMath}, so results are bit-identical on every JVM.
 */
final class Fft {
    private static final ConcurrentHashMap<Integer, Plan> PLANS = new ConcurrentHashMap<>();

    private Fft() {
    }

    static boolean isPowerOfTwo(int n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    /** Smallest power of two >= n. */
    static int nextPowerOfTwo(int n) {
        if (n < 1 || n > (1 << 30)) {
            throw new IllegalArgumentException("size must be in [1, 2^30], got " + n);
        }
        return n == 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /** Transforms {@code n} contiguous values starting at {@code off}. */
    static void transform(double[] re, double[] im, int off, int n, boolean inverse) {
        plan(n).run(re, im, off, inverse);
    }

    /** 2-D transform of a {@code rows x cols} row-major array. */
    static void transform2d(double[] re, double[] im, int rows, int cols, boolean inverse) {
        if (re.length < rows * cols || im.length < rows * cols) {
            throw new IllegalArgumentException("arrays shorter than " + rows + "x" + cols);
        }
        Plan rowPlan = plan(cols);
        for (int r = 0; r < rows; r++) {
            rowPlan.run(re, im, r * cols, inverse);
        }
        Plan colPlan = plan(rows);
        double[] cr = new double[rows];
        double[] ci = new double[rows];
        for (int c = 0; c < cols; c++) {
            for (int r = 0, i = c; r < rows; r++, i += cols) {
                cr[r] = re[i];
                ci[r] = im[i];
            }
            colPlan.run(cr, ci, 0, inverse);
            for (int r = 0, i = c; r < rows; r++, i += cols) {
                re[i] = cr[r];
                im[i] = ci[r];
            }
        }
    }

    private static Plan plan(int n) {
        if (!isPowerOfTwo(n)) {
            throw new IllegalArgumentException("FFT size must be a power of two, got " + n);
        }
        return PLANS.computeIfAbsent(n, Plan::new);
    }

    private static final class Plan {
        final int n;
        final int[] reverse;
        final double[] cos;
        final double[] sin;

        Plan(int n) {
            this.n = n;
            int bits = Integer.numberOfTrailingZeros(n);
            reverse = new int[n];
            for (int i = 0; i < n; i++) {
                reverse[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
            }
            cos = new double[Math.max(1, n / 2)];
            sin = new double[cos.length];
            for (int k = 0; k < n / 2; k++) {
                double a = 2 * StrictMath.PI * k / n;
                cos[k] = StrictMath.cos(a);
                sin[k] = StrictMath.sin(a);
            }
        }

        void run(double[] re, double[] im, int off, boolean inverse) {
            for (int i = 0; i < n; i++) {
                int j = reverse[i];
                if (i < j) {
                    double t = re[off + i];
                    re[off + i] = re[off + j];
                    re[off + j] = t;
                    t = im[off + i];
                    im[off + i] = im[off + j];
                    im[off + j] = t;
                }
            }
            double sign = inverse ? 1.0 : -1.0;
            for (int len = 2; len <= n; len <<= 1) {
                int half = len >> 1;
                int step = n / len;
                for (int i = 0; i < n; i += len) {
                    for (int k = 0; k < half; k++) {
                        double wr = cos[k * step];
                        double wi = sign * sin[k * step];
                        int a = off + i + k;
                        int b = a + half;
                        double tr = re[b] * wr - im[b] * wi;
                        double ti = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - tr;
                        im[b] = im[a] - ti;
                        re[a] += tr;
                        im[a] += ti;
                    }
                }
            }
            if (inverse) {
                double s = 1.0 / n;
                for (int i = off; i < off + n; i++) {
                    re[i] *= s;
                    im[i] *= s;
                }
            }
        }
    }
}
