package dev.pretext.describe;

/**
 * Kymatio's 2-D Morlet filter bank for a padded grid of {@code rows x cols} (powers of two),
 * built directly in the Fourier domain: every filter's DFT is real, so one real array per filter
 * and resolution.
 *
 * <p>Kymatio samples a Gabor g(x) = exp(-x'Cx) exp(i xi e.x) / (2 pi sigma^2 / slant) in space,
 * C = R diag(1, slant^2) R' / (2 sigma^2), e = (cos theta, sin theta) in (row, column)
 * coordinates, and takes its FFT. By Poisson summation, the DFT of the sampled (and periodised)
 * Gabor equals its continuous Fourier transform
 * <pre>  G(w) = exp(-sigma^2 / 2 * (u1^2 + u2^2 / slant^2)),  u = R'(w - xi e)</pre>
 * sampled at w = 2 pi (k / rows, l / cols) and periodised over 2 pi Z^2 (here -2..2 periods,
 * where the tails are below 1e-20; terms under e^-50 are skipped). The Morlet wavelet is psi = G_xi - K G_0 with K = G_xi(0) /
 * G_0(0), so psi_hat(0) = 0 (zero mean). Parameters as Kymatio: for j in [0, J) and t in
 * [0, L): sigma = 0.8 * 2^j, xi = 3 pi / 4 / 2^j, slant = 4 / L, theta = (int(L - L/2 - 1) - t)
 * pi / L; the low-pass phi is G_0 with sigma = 0.8 * 2^(J-1), slant 1, so phi_hat(0) = 1.
 * (Kymatio normalises with 3.1415 for pi; we use pi, a 3e-5 relative difference.)
 *
 * <p>Resolution {@code res} holds the filter for a signal subsampled by 2^res: the fine filter's
 * values at the frequencies that grid represents (signed index f in [-n/2, n/2)), which is
 * Kymatio's {@code periodize_filter_fft}.
 */
final class MorletFilterBank {
    private static final int PERIODS = 2;
    /** Terms below exp(-50) (2e-22, far under float resolution of a filter peaking at 1) are skipped. */
    private static final double CUTOFF = -50;

    final int rows;
    final int cols;
    final int j;
    final int l;
    /** psi[j * L + t][res], res in [0, J). */
    final double[][][] psi;
    /** phi[res], res in [0, J]. */
    final double[][] phi;

    MorletFilterBank(int rows, int cols, int bigJ, int bigL) {
        if (!Fft.isPowerOfTwo(rows) || !Fft.isPowerOfTwo(cols) || (rows >> bigJ) < 1 || (cols >> bigJ) < 1) {
            throw new IllegalArgumentException("grid " + rows + "x" + cols + " must be powers of two >= 2^J = " + (1 << bigJ));
        }
        this.rows = rows;
        this.cols = cols;
        this.j = bigJ;
        this.l = bigL;
        psi = new double[bigJ * bigL][][];
        for (int jj = 0; jj < bigJ; jj++) {
            for (int t = 0; t < bigL; t++) {
                double[] fine = morlet(rows, cols, sigmaPsi(jj), theta(t, bigL), xi(jj), 4.0 / bigL);
                double[][] levels = new double[bigJ][];
                for (int res = 0; res < bigJ; res++) {
                    levels[res] = atResolution(fine, rows, cols, res);
                }
                psi[jj * bigL + t] = levels;
            }
        }
        double[] fine = gabor(rows, cols, sigmaPhi(bigJ), 0, 0, 1);
        phi = new double[bigJ + 1][];
        for (int res = 0; res <= bigJ; res++) {
            phi[res] = atResolution(fine, rows, cols, res);
        }
    }

    static double sigmaPsi(int j) {
        return 0.8 * (1 << j);
    }

    static double xi(int j) {
        return 0.75 * Math.PI / (1 << j);
    }

    static double theta(int t, int bigL) {
        return ((int) (bigL - bigL / 2.0 - 1) - t) * Math.PI / bigL;
    }

    static double sigmaPhi(int bigJ) {
        return 0.8 * Math.pow(2, bigJ - 1);
    }

    /** Zero-mean Morlet: Gabor minus the Gaussian envelope scaled to cancel the DC value. */
    static double[] morlet(int rows, int cols, double sigma, double theta, double xi, double slant) {
        double[] wave = gabor(rows, cols, sigma, theta, xi, slant);
        double[] envelope = gabor(rows, cols, sigma, theta, 0, slant);
        double k = wave[0] / envelope[0];
        for (int i = 0; i < wave.length; i++) {
            wave[i] -= k * envelope[i];
        }
        return wave;
    }

    /** DFT of the sampled Gabor, from its periodised continuous Fourier transform. */
    static double[] gabor(int rows, int cols, double sigma, double theta, double xi, double slant) {
        double c = StrictMath.cos(theta);
        double s = StrictMath.sin(theta);
        double cy = xi * c;
        double cx = xi * s;
        double a = -0.5 * sigma * sigma;
        double invSlant2 = 1.0 / (slant * slant);
        double minScale = Math.min(1.0, invSlant2);
        double[] out = new double[rows * cols];
        for (int k = 0; k < rows; k++) {
            double wy0 = 2 * Math.PI * signed(k, rows) / rows;
            for (int m = 0; m < cols; m++) {
                double wx0 = 2 * Math.PI * signed(m, cols) / cols;
                double sum = 0;
                for (int py = -PERIODS; py <= PERIODS; py++) {
                    double dy = wy0 + 2 * Math.PI * py - cy;
                    for (int px = -PERIODS; px <= PERIODS; px++) {
                        double dx = wx0 + 2 * Math.PI * px - cx;
                        // |u| = |d| (a rotation), so this bounds the exponent: skip terms below e^-50.
                        if (a * minScale * (dy * dy + dx * dx) < CUTOFF) {
                            continue;
                        }
                        double u1 = c * dy + s * dx;
                        double u2 = -s * dy + c * dx;
                        sum += StrictMath.exp(a * (u1 * u1 + u2 * u2 * invSlant2));
                    }
                }
                out[k * cols + m] = sum;
            }
        }
        return out;
    }

    /** Signed frequency of DFT index i on a grid of n: [0, n/2) then [-n/2, 0). */
    static int signed(int i, int n) {
        return i < (n + 1) / 2 ? i : i - n;
    }

    static double[] atResolution(double[] fine, int rows, int cols, int res) {
        int r = rows >> res;
        int c = cols >> res;
        double[] out = new double[r * c];
        for (int k = 0; k < r; k++) {
            int fk = Math.floorMod(signed(k, r), rows);
            for (int m = 0; m < c; m++) {
                out[k * c + m] = fine[fk * cols + Math.floorMod(signed(m, c), cols)];
            }
        }
        return out;
    }
}
