package dev.pretext.describe;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The 2-D FFT of {@link Scattering}: power-of-two grids held as arrays of rows ({@code double[][]},
 * real and imaginary parts apart), with every butterfly a loop over two whole rows.
 *
 * <p>Why rows: HotSpot vectorises a loop {@code a[c] op b[c]} over two row arrays, but not the same
 * loop written on one flat array at two offsets ({@code x[a + c] op x[b + c]}, which it cannot prove
 * independent); measured on a 128 x 128 pass: 30 us against 98 us. So both 1-D passes run along the
 * slow index: the first along the rows of the spatial grid, then an out-of-place transpose, then the
 * second along what were the columns. The bit reversal of a radix-2 transform is a permutation of
 * the row references only (no data moves).
 *
 * <p>The spectrum is therefore kept transposed ("spectral layout"): for a spatial {@code rows x cols}
 * grid, {@code spectrum[kc][kr] = X[kr][kc]}, a {@code cols x rows} array of rows, both axes in
 * natural frequency order. {@link Scattering} only multiplies spectra pointwise by real filters
 * (stored in the same layout), periodises them onto coarser grids (sums of whole rows and of
 * contiguous row segments) and reads X[-f] (when it unpacks two real signals' spectra).
 *
 * <p>Forward: X[k] = sum_n x[n] exp(-2 pi i k n / N). Inverse: the same sum with exp(+...) and not
 * divided by N (the caller folds 1/N into its filters). Twiddles come from {@link StrictMath}.
 */
final class SpectralFft {
    private static final ConcurrentHashMap<Integer, double[][]> TWIDDLES = new ConcurrentHashMap<>();

    private SpectralFft() {
    }

    /**
     * Forward 2-D FFT: {@code re, im} hold a spatial {@code rows x cols} grid (destroyed; their row
     * references are permuted), the spectrum goes to {@code outRe, outIm} ({@code cols x rows}).
     */
    static void forward(double[][] re, double[][] im, double[][] outRe, double[][] outIm, int rows, int cols) {
        difRows(re, im, rows, cols);
        bitReverseRows(re, im, rows);
        transpose(re, outRe, rows, cols);
        transpose(im, outIm, rows, cols);
        difRows(outRe, outIm, cols, rows);
        bitReverseRows(outRe, outIm, cols);
    }

    /**
     * Inverse 2-D FFT without the 1/(rows cols) factor: {@code re, im} hold a spectrum in spectral
     * layout ({@code cols x rows}; destroyed, row references permuted) of a spatial
     * {@code rows x cols} grid, which goes to {@code outRe, outIm}.
     */
    static void inverse(double[][] re, double[][] im, double[][] outRe, double[][] outIm, int rows, int cols) {
        bitReverseRows(re, im, cols);
        ditRows(re, im, cols, rows);
        transpose(re, outRe, cols, rows);
        transpose(im, outIm, cols, rows);
        bitReverseRows(outRe, outIm, rows);
        ditRows(outRe, outIm, rows, cols);
    }

    /** A natural row-major {@code rows x cols} array (a filter's DFT), transposed and scaled. */
    static double[][] toSpectral(double[] natural, int rows, int cols, double scale) {
        double[][] out = new double[cols][rows];
        for (int kc = 0; kc < cols; kc++) {
            for (int kr = 0; kr < rows; kr++) {
                out[kc][kr] = natural[kr * cols + kc] * scale;
            }
        }
        return out;
    }

    /** Swaps row references i and bitreverse(i) of both arrays. */
    static void bitReverseRows(double[][] re, double[][] im, int n) {
        if (n < 4) {
            return; // 1 and 2 rows are their own bit reversal
        }
        int shift = 32 - Integer.numberOfTrailingZeros(n);
        for (int i = 1; i < n - 1; i++) {
            int j = Integer.reverse(i) >>> shift;
            if (i < j) {
                double[] t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
    }

    /** cos and sin of 2 pi k / n for k < n / 2. */
    private static double[][] twiddles(int n) {
        return TWIDDLES.computeIfAbsent(n, m -> {
            int half = Math.max(1, m / 2);
            double[] c = new double[half];
            double[] s = new double[half];
            for (int k = 0; k < m / 2; k++) {
                double a = 2 * StrictMath.PI * k / m;
                c[k] = StrictMath.cos(a);
                s[k] = StrictMath.sin(a);
            }
            return new double[][]{c, s};
        });
    }

    /**
     * Forward decimation-in-frequency FFT of every column of {@code n} rows of length {@code v}
     * (natural order in, bit-reversed rows out). Radix 2: HotSpot 17 vectorises these small loop
     * bodies, not a radix-4 butterfly over eight rows (measured slower than two radix-2 passes).
     */
    static void difRows(double[][] re, double[][] im, int n, int v) {
        double[][] t = twiddles(n);
        double[] cos = t[0];
        double[] sin = t[1];
        for (int len = n; len >= 2; len >>= 1) {
            int half = len >> 1;
            int step = n / len;
            for (int blk = 0; blk < n; blk += len) {
                plain(re[blk], im[blk], re[blk + half], im[blk + half], v);
                for (int k = 1; k < half; k++) {
                    int a = blk + k;
                    difTwiddled(re[a], im[a], re[a + half], im[a + half], v, cos[k * step], -sin[k * step]);
                }
            }
        }
    }

    /**
     * Inverse (exp(+...)) decimation-in-time FFT of every column of {@code n} rows of length
     * {@code v} (bit-reversed rows in, natural order out), unscaled.
     */
    static void ditRows(double[][] re, double[][] im, int n, int v) {
        double[][] t = twiddles(n);
        double[] cos = t[0];
        double[] sin = t[1];
        for (int len = 2; len <= n; len <<= 1) {
            int half = len >> 1;
            int step = n / len;
            for (int blk = 0; blk < n; blk += len) {
                plain(re[blk], im[blk], re[blk + half], im[blk + half], v);
                for (int k = 1; k < half; k++) {
                    int a = blk + k;
                    ditTwiddled(re[a], im[a], re[a + half], im[a + half], v, cos[k * step], sin[k * step]);
                }
            }
        }
    }

    /** a, b := a + b, a - b. */
    private static void plain(double[] ar, double[] ai, double[] br, double[] bi, int v) {
        for (int c = 0; c < v; c++) {
            double xr = ar[c];
            double xi = ai[c];
            double yr = br[c];
            double yi = bi[c];
            ar[c] = xr + yr;
            ai[c] = xi + yi;
            br[c] = xr - yr;
            bi[c] = xi - yi;
        }
    }

    /** a, b := a + b, (a - b) w. */
    private static void difTwiddled(double[] ar, double[] ai, double[] br, double[] bi, int v, double wr, double wi) {
        for (int c = 0; c < v; c++) {
            double xr = ar[c];
            double xi = ai[c];
            double yr = br[c];
            double yi = bi[c];
            ar[c] = xr + yr;
            ai[c] = xi + yi;
            double dr = xr - yr;
            double di = xi - yi;
            br[c] = dr * wr - di * wi;
            bi[c] = dr * wi + di * wr;
        }
    }

    /** a, b := a + b w, a - b w. */
    private static void ditTwiddled(double[] ar, double[] ai, double[] br, double[] bi, int v, double wr, double wi) {
        for (int c = 0; c < v; c++) {
            double yr = br[c];
            double yi = bi[c];
            double tr = yr * wr - yi * wi;
            double ti = yr * wi + yi * wr;
            double xr = ar[c];
            double xi = ai[c];
            ar[c] = xr + tr;
            ai[c] = xi + ti;
            br[c] = xr - tr;
            bi[c] = xi - ti;
        }
    }

    /**
     * {@code dst} ({@code cols x rows}) := the transpose of {@code src} ({@code rows x cols}): eight
     * destination rows at a time, filled down the source rows (measured 1.7x faster than 8 x 8 tiles).
     */
    static void transpose(double[][] src, double[][] dst, int rows, int cols) {
        int c0 = 0;
        for (; c0 + 8 <= cols; c0 += 8) {
            double[] d0 = dst[c0];
            double[] d1 = dst[c0 + 1];
            double[] d2 = dst[c0 + 2];
            double[] d3 = dst[c0 + 3];
            double[] d4 = dst[c0 + 4];
            double[] d5 = dst[c0 + 5];
            double[] d6 = dst[c0 + 6];
            double[] d7 = dst[c0 + 7];
            for (int r = 0; r < rows; r++) {
                double[] s = src[r];
                d0[r] = s[c0];
                d1[r] = s[c0 + 1];
                d2[r] = s[c0 + 2];
                d3[r] = s[c0 + 3];
                d4[r] = s[c0 + 4];
                d5[r] = s[c0 + 5];
                d6[r] = s[c0 + 6];
                d7[r] = s[c0 + 7];
            }
        }
        for (; c0 < cols; c0++) {
            double[] d = dst[c0];
            for (int r = 0; r < rows; r++) {
                d[r] = src[r][c0];
            }
        }
    }
}
