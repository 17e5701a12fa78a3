package dev.pretext.describe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MorletFilterBankTest {
    private static final int J = 2;
    private static final int L = 8;

    @Test
    void waveletsHaveZeroMeanAndTheLowPassHasUnitGain() {
        MorletFilterBank bank = new MorletFilterBank(64, 32, J, L);
        for (double[][] levels : bank.psi) {
            for (double[] f : levels) {
                assertEquals(0.0, f[0], 1e-12, "psi_hat(0) at every resolution");
            }
        }
        for (double[] f : bank.phi) {
            assertEquals(1.0, f[0], 1e-12, "phi_hat(0) at every resolution");
        }
    }

    @Test
    void eachWaveletPeaksAtItsCentreFrequency() {
        int n = 128;
        MorletFilterBank bank = new MorletFilterBank(n, n, J, L);
        for (int j = 0; j < J; j++) {
            for (int t = 0; t < L; t++) {
                double[] f = bank.psi[j * L + t][0];
                int best = 0;
                for (int i = 1; i < f.length; i++) {
                    if (f[i] > f[best]) {
                        best = i;
                    }
                }
                double wy = 2 * Math.PI * MorletFilterBank.signed(best / n, n) / n;
                double wx = 2 * Math.PI * MorletFilterBank.signed(best % n, n) / n;
                double theta = MorletFilterBank.theta(t, L);
                double xi = MorletFilterBank.xi(j);
                // The DC correction pulls the peak slightly outwards; one grid step is 2 pi / 128.
                double dist = Math.hypot(wy - xi * Math.cos(theta), wx - xi * Math.sin(theta));
                assertTrue(dist < 0.25 * xi, "j=" + j + " t=" + t + " peak off by " + dist);
                assertTrue(f[best] > 0.9 && f[best] < 1.1, "peak " + f[best]);
            }
        }
    }

    /**
     * Kymatio's construction, literally: sample the Gabor in space on the grid periodised over
     * -2..2 copies, subtract the envelope times K, take the DFT. Our Fourier-domain filters must agree.
     */
    @Test
    void fourierConstructionMatchesKymatioSpatialConstruction() {
        // Large enough that -2..2 spatial copies cover the elongated j = 1 envelope (std 3.2 px).
        int m = 32;
        int n = 16;
        for (int j = 0; j < J; j++) {
            for (int t : new int[]{0, 3, 5}) {
                double sigma = MorletFilterBank.sigmaPsi(j);
                double theta = MorletFilterBank.theta(t, L);
                double xi = MorletFilterBank.xi(j);
                double slant = 4.0 / L;
                double[][] wave = spatialGabor(m, n, sigma, theta, xi, slant);
                double[][] env = spatialGabor(m, n, sigma, theta, 0, slant);
                double[] sw = sum(wave);
                double[] se = sum(env);
                // K = sum(wave) / sum(envelope), complex.
                double den = se[0] * se[0] + se[1] * se[1];
                double kr = (sw[0] * se[0] + sw[1] * se[1]) / den;
                double ki = (sw[1] * se[0] - sw[0] * se[1]) / den;
                double[] re = new double[m * n];
                double[] im = new double[m * n];
                for (int i = 0; i < m * n; i++) {
                    re[i] = wave[0][i] - (kr * env[0][i] - ki * env[1][i]);
                    im[i] = wave[1][i] - (kr * env[1][i] + ki * env[0][i]);
                }
                Fft.transform2d(re, im, m, n, false);
                double[] ours = MorletFilterBank.morlet(m, n, sigma, theta, xi, slant);
                for (int i = 0; i < m * n; i++) {
                    assertEquals(ours[i], re[i], 1e-9, "j=" + j + " t=" + t + " i=" + i);
                    assertEquals(0.0, im[i], 1e-9, "the Morlet's DFT is real");
                }
            }
        }
        double sigmaPhi = MorletFilterBank.sigmaPhi(J);
        double[][] phi = spatialGabor(m, n, sigmaPhi, 0, 0, 1);
        Fft.transform2d(phi[0], phi[1], m, n, false);
        double[] ours = MorletFilterBank.gabor(m, n, sigmaPhi, 0, 0, 1);
        for (int i = 0; i < m * n; i++) {
            assertEquals(ours[i], phi[0][i], 1e-9);
        }
    }

    /** Kymatio's gabor_2d (with pi for its 3.1415): {re, im} on an m x n grid, row-major. */
    private static double[][] spatialGabor(int m, int n, double sigma, double theta, double xi, double slant) {
        double c = Math.cos(theta);
        double s = Math.sin(theta);
        // curv = R diag(1, slant^2) R^-1 / (2 sigma^2)
        double c00 = (c * c + s * s * slant * slant) / (2 * sigma * sigma);
        double c01 = (c * s - s * c * slant * slant) / (2 * sigma * sigma);
        double c11 = (s * s + c * c * slant * slant) / (2 * sigma * sigma);
        double[] re = new double[m * n];
        double[] im = new double[m * n];
        for (int ex = -2; ex <= 2; ex++) {
            for (int ey = -2; ey <= 2; ey++) {
                for (int a = 0; a < m; a++) {
                    for (int b = 0; b < n; b++) {
                        double xx = a + ex * m;
                        double yy = b + ey * n;
                        double mag = Math.exp(-(c00 * xx * xx + 2 * c01 * xx * yy + c11 * yy * yy));
                        double ph = xi * (xx * c + yy * s);
                        re[a * n + b] += mag * Math.cos(ph);
                        im[a * n + b] += mag * Math.sin(ph);
                    }
                }
            }
        }
        double norm = 2 * Math.PI * sigma * sigma / slant;
        for (int i = 0; i < m * n; i++) {
            re[i] /= norm;
            im[i] /= norm;
        }
        return new double[][]{re, im};
    }

    private static double[] sum(double[][] z) {
        double r = 0, i = 0;
        for (int k = 0; k < z[0].length; k++) {
            r += z[0][k];
            i += z[1][k];
        }
        return new double[]{r, i};
    }

    /**
     * Littlewood-Paley sum for real signals: |phi_hat(w)|^2 + 1/2 sum (|psi_hat(w)|^2 +
     * |psi_hat(-w)|^2) lies in [A, B]. Measured for J = 2, L = 8: A = 0.123 (at the highest
     * frequencies, which no J = 2 wavelet fully covers), B = 1.000 (at w = 0, phi alone).
     */
    @Test
    void littlewoodPaleySumIsBounded() {
        for (int n : new int[]{32, 128}) {
            double[] ab = littlewoodPaley(new MorletFilterBank(n, n, J, L));
            assertTrue(ab[0] > 0.1 && ab[0] < 0.15, "A = " + ab[0]);
            assertEquals(1.0, ab[1], 1e-9, "B");
        }
    }

    /** {A, B}: min and max over the grid of the real-signal Littlewood-Paley sum. */
    static double[] littlewoodPaley(MorletFilterBank bank) {
        int r = bank.rows;
        int c = bank.cols;
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int k = 0; k < r; k++) {
            for (int l = 0; l < c; l++) {
                int i = k * c + l;
                int neg = ((r - k) % r) * c + (c - l) % c;
                double s = bank.phi[0][i] * bank.phi[0][i];
                for (double[][] p : bank.psi) {
                    s += 0.5 * (p[0][i] * p[0][i] + p[0][neg] * p[0][neg]);
                }
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
        }
        return new double[]{min, max};
    }

    @Test
    void coarseResolutionKeepsTheFineFilterAtTheSameSignedFrequency() {
        MorletFilterBank bank = new MorletFilterBank(32, 16, J, L);
        double[] fine = bank.psi[3][0];
        double[] coarse = bank.psi[3][1];
        assertEquals(16 * 8, coarse.length);
        // coarse (k, l) = (2, 5): signed (2, -3) -> fine (2, 13)
        assertEquals(fine[2 * 16 + 13], coarse[2 * 8 + 5]);
        // coarse Nyquist row 8 -> signed -8 -> fine row 24
        assertEquals(fine[24 * 16 + 1], coarse[8 * 8 + 1]);
    }
}
