package dev.pretext.describe;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FftTest {

    /** X[k] = sum_n x[n] exp(-2 pi i k n / N), the definition, in O(N^2). */
    static double[][] naiveDft(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        double[] or = new double[n];
        double[] oi = new double[n];
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < n; k++) {
            for (int t = 0; t < n; t++) {
                double a = sign * 2 * Math.PI * ((long) k * t % n) / n;
                or[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
                oi[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
            }
            if (inverse) {
                or[k] /= n;
                oi[k] /= n;
            }
        }
        return new double[][]{or, oi};
    }

    @Test
    void matchesNaiveDftForAllPowersOfTwoUpTo256() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int n = 1; n <= 256; n *= 2) {
            for (boolean inverse : new boolean[]{false, true}) {
                double[] re = new double[n + 3];
                double[] im = new double[n + 3];
                for (int i = 0; i < re.length; i++) {
                    re[i] = rng.nextDouble(-1, 1);
                    im[i] = rng.nextDouble(-1, 1);
                }
                double[][] want = naiveDft(java.util.Arrays.copyOfRange(re, 3, n + 3),
                        java.util.Arrays.copyOfRange(im, 3, n + 3), inverse);
                double before = re[0];
                Fft.transform(re, im, 3, n, inverse);
                for (int k = 0; k < n; k++) {
                    assertEquals(want[0][k], re[3 + k], 1e-10 * n, "n=" + n + " k=" + k);
                    assertEquals(want[1][k], im[3 + k], 1e-10 * n, "n=" + n + " k=" + k);
                }
                assertEquals(before, re[0], "values before the offset are untouched");
            }
        }
    }

    @Test
    void twoDimensionalMatchesNaiveAndRoundTrips() {
        int rows = 8;
        int cols = 16;
        SplittableRandom rng = new SplittableRandom(2);
        double[] re = new double[rows * cols];
        double[] im = new double[rows * cols];
        for (int i = 0; i < re.length; i++) {
            re[i] = rng.nextDouble(-1, 1);
            im[i] = rng.nextDouble(-1, 1);
        }
        double[] re0 = re.clone();
        double[] im0 = im.clone();
        Fft.transform2d(re, im, rows, cols, false);
        for (int k = 0; k < rows; k++) {
            for (int l = 0; l < cols; l++) {
                double sr = 0, si = 0;
                for (int y = 0; y < rows; y++) {
                    for (int x = 0; x < cols; x++) {
                        double a = -2 * Math.PI * ((double) k * y / rows + (double) l * x / cols);
                        sr += re0[y * cols + x] * Math.cos(a) - im0[y * cols + x] * Math.sin(a);
                        si += re0[y * cols + x] * Math.sin(a) + im0[y * cols + x] * Math.cos(a);
                    }
                }
                assertEquals(sr, re[k * cols + l], 1e-9);
                assertEquals(si, im[k * cols + l], 1e-9);
            }
        }
        Fft.transform2d(re, im, rows, cols, true);
        for (int i = 0; i < re.length; i++) {
            assertEquals(re0[i], re[i], 1e-12);
            assertEquals(im0[i], im[i], 1e-12);
        }
    }

    @Test
    void rejectsSizesThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> Fft.transform(new double[96], new double[96], 0, 96, false));
        assertEquals(128, Fft.nextPowerOfTwo(104));
        assertEquals(64, Fft.nextPowerOfTwo(64));
        assertEquals(1, Fft.nextPowerOfTwo(1));
    }
}
