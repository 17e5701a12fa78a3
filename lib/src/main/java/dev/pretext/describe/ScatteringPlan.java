package dev.pretext.describe;

/**
 * What {@link Scattering} precomputes for one padded grid: the {@link MorletFilterBank} and its
 * filters rearranged for {@link SpectralFft} (spectral layout, one row array per frequency column)
 * with the constant factors folded in. Immutable, shared by all threads.
 *
 * <p>Scaling: Kymatio periodises X * filter from resolution {@code from} onto resolution
 * {@code to} as the mean of the k^2 aliases (k = 2^(to - from)) and the inverse FFT divides by the
 * coarse grid's size; together 1 / (k^2 rows_to cols_to) = 1 / (rows_from cols_from), which
 * depends only on {@code from}. So every filter at resolution r is stored multiplied by
 * 1 / (rows_r cols_r), periodisation is a plain sum and the inverse FFT is unscaled.
 */
final class ScatteringPlan {
    final MorletFilterBank bank;
    final int bigJ;
    final int bigL;
    /** rows >> r and cols >> r for r in [0, J]. */
    final int[] rowsAt;
    final int[] colsAt;
    /** psi[j * L + t][res], res in [0, J), scaled as above. */
    final double[][][][] psi;
    /** phi[res], res in [0, J]. */
    final double[][][] phi;
    /** Output index of order-2 coefficient (n1, n2) for j2 > j1, -1 otherwise. */
    final int[][] order2Index;

    ScatteringPlan(MorletFilterBank bank) {
        this.bank = bank;
        this.bigJ = bank.j;
        this.bigL = bank.l;
        rowsAt = new int[bigJ + 1];
        colsAt = new int[bigJ + 1];
        for (int r = 0; r <= bigJ; r++) {
            rowsAt[r] = bank.rows >> r;
            colsAt[r] = bank.cols >> r;
        }
        int n = bigJ * bigL;
        psi = new double[n][bigJ][][];
        for (int i = 0; i < n; i++) {
            for (int res = 0; res < bigJ; res++) {
                psi[i][res] = spectral(bank.psi[i][res], res);
            }
        }
        phi = new double[bigJ + 1][][];
        for (int res = 0; res <= bigJ; res++) {
            phi[res] = spectral(bank.phi[res], res);
        }
        order2Index = new int[n][n];
        int next = 1 + n;
        for (int n1 = 0; n1 < n; n1++) {
            for (int n2 = 0; n2 < n; n2++) {
                order2Index[n1][n2] = n2 / bigL > n1 / bigL ? next++ : -1;
            }
        }
    }

    private double[][] spectral(double[] natural, int res) {
        return SpectralFft.toSpectral(natural, rowsAt[res], colsAt[res], 1.0 / ((double) rowsAt[res] * colsAt[res]));
    }
}
