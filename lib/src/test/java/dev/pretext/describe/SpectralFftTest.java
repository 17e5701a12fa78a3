package dev.pretext.describe;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SpectralFftTest {
    private static final int[][] SIZES = {{1, 1}, {1, 8}, {2, 2}, {4, 16}, {32, 32}, {64, 8}, {128, 64}};

    /** The spectral layout holds {@link Fft}'s natural-order 2-D transform, transposed. */
    @Test
    void forwardIsTheTransposedFft() {
        for (int[] s : SIZES) {
            int rows = s[0];
            int cols = s[1];
            double[][] x = random(rows * cols, rows + 31L * cols);
            double[] wantRe = x[0].clone();
            double[] wantIm = x[1].clone();
            Fft.transform2d(wantRe, wantIm, rows, cols, false);
            double[][] re = new double[cols][rows];
            double[][] im = new double[cols][rows];
            SpectralFft.forward(rowsOf(x[0], rows, cols), rowsOf(x[1], rows, cols), re, im, rows, cols);
            for (int kr = 0; kr < rows; kr++) {
                for (int kc = 0; kc < cols; kc++) {
                    assertEquals(wantRe[kr * cols + kc], re[kc][kr], 1e-9, rows + "x" + cols);
                    assertEquals(wantIm[kr * cols + kc], im[kc][kr], 1e-9, rows + "x" + cols);
                }
            }
            double[][] spec = SpectralFft.toSpectral(wantRe, rows, cols, 2);
            assertEquals(2 * wantRe[rows * cols - 1], spec[cols - 1][rows - 1], 0);
        }
    }

    @Test
    void inverseUndoesForwardUpToTheGridSize() {
        for (int[] s : SIZES) {
            int rows = s[0];
            int cols = s[1];
            double[][] x = random(rows * cols, 7 + rows + 31L * cols);
            double[][] specRe = new double[cols][rows];
            double[][] specIm = new double[cols][rows];
            double[][] backRe = new double[rows][cols];
            double[][] backIm = new double[rows][cols];
            SpectralFft.forward(rowsOf(x[0], rows, cols), rowsOf(x[1], rows, cols), specRe, specIm, rows, cols);
            SpectralFft.inverse(specRe, specIm, backRe, backIm, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    assertEquals(x[0][r * cols + c], backRe[r][c] / (rows * cols), 1e-12);
                    assertEquals(x[1][r * cols + c], backIm[r][c] / (rows * cols), 1e-12);
                }
            }
        }
    }

    private static double[][] rowsOf(double[] flat, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    private static double[][] random(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] x = new double[2][n];
        for (int i = 0; i < n; i++) {
            x[0][i] = rng.nextDouble(-1, 1);
            x[1][i] = rng.nextDouble(-1, 1);
        }
        return x;
    }
}
