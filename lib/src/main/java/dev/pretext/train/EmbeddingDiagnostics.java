package dev.pretext.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Collapse monitors for an embedding matrix (rows = examples), computed in double precision.
 */
public final class EmbeddingDiagnostics {
    private EmbeddingDiagnostics() {
    }

    /**
     * SimSiam's collapse monitor: L2-normalise every row, take each dimension's standard deviation
     * over the rows (unbiased, as torch.std), and average over dimensions. About 1/sqrt(D) for a
     * healthy embedding, 0 for a collapsed one. An all-zero row stays zero.
     */
    public static double embeddingStd(double[][] z) {
        int n = checkRows(z);
        int d = z[0].length;
        double[][] u = new double[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (double v : z[i]) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                u[i][j] = norm > 0 ? z[i][j] / norm : 0.0;
            }
        }
        double sum = 0;
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += u[i][j];
            }
            mean /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double c = u[i][j] - mean;
                ss += c * c;
            }
            sum += Math.sqrt(ss / (n - 1));
        }
        return sum / d;
    }

    /**
     * Effective rank (Roy and Vetterli 2007): exp of the Shannon entropy of the singular values of
     * the column-centred matrix, normalised to sum to 1. 1 for a rank-1 matrix, D for D equal
     * singular values; 0 when the centred matrix is all zero (fully collapsed).
     *
     * <p>The singular values come from the eigenvalues of the smaller Gram matrix (LAPACK syev via
     * ND4J); eigenvalues below {@code 1e-12 * max} are rounding noise and count as zero. NaN when
     * the matrix holds a non-finite value.
     */
    public static double effectiveRank(double[][] z) {
        int n = checkRows(z);
        int d = z[0].length;
        for (double[] row : z) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    return Double.NaN; // LAPACK must not see NaN; a diverged model has no rank to report
                }
            }
        }
        double[][] c = new double[n][d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += z[i][j];
            }
            mean /= n;
            for (int i = 0; i < n; i++) {
                c[i][j] = z[i][j] - mean;
            }
        }
        int m = Math.min(n, d);
        double[][] gram = new double[m][m];
        for (int a = 0; a < m; a++) {
            for (int b = a; b < m; b++) {
                double s = 0;
                if (n <= d) {
                    for (int j = 0; j < d; j++) {
                        s += c[a][j] * c[b][j];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        s += c[i][a] * c[i][b];
                    }
                }
                gram[a][b] = s;
                gram[b][a] = s;
            }
        }
        double[] eig = symmetricEigenvalues(gram);
        double max = 0;
        for (double e : eig) {
            max = Math.max(max, e);
        }
        if (max <= 0) {
            return 0.0;
        }
        double total = 0;
        double[] sv = new double[eig.length];
        for (int k = 0; k < eig.length; k++) {
            sv[k] = eig[k] > 1e-12 * max ? Math.sqrt(eig[k]) : 0.0;
            total += sv[k];
        }
        double h = 0;
        for (double s : sv) {
            if (s > 0) {
                double p = s / total;
                h -= p * Math.log(p);
            }
        }
        return Math.exp(h);
    }

    /** Rows of a 2-d (or flattened n-d) activation array, as doubles. */
    public static double[][] toMatrix(INDArray activations) {
        if (activations.rank() < 2) {
            throw new IllegalArgumentException("embedding activations must have a batch dimension, got shape "
                    + java.util.Arrays.toString(activations.shape()));
        }
        long n = activations.size(0);
        INDArray flat = activations.castTo(DataType.DOUBLE).reshape('c', n, activations.length() / n);
        return flat.toDoubleMatrix();
    }

    private static double[] symmetricEigenvalues(double[][] a) {
        INDArray m = Nd4j.createFromArray(a).castTo(DataType.DOUBLE).dup('f');
        return Eigen.symmetricGeneralizedEigenvalues(m, false).toDoubleVector();
    }

    private static int checkRows(double[][] z) {
        if (z.length < 2) {
            throw new IllegalArgumentException("embedding diagnostics need at least 2 rows, got " + z.length);
        }
        if (z[0].length < 1) {
            throw new IllegalArgumentException("embedding diagnostics need at least 1 column");
        }
        return z.length;
    }
}
