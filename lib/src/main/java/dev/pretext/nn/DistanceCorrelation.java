package dev.pretext.nn;

/**
 * Distance correlation (Székely, Rizzo and Bakirov 2007) of two batches X [N, p] and Y [N, q] of
 * paired rows, any widths p and q, in plain double precision: the reference of
 * {@link DistanceCorrelationLoss} and a host-side utility.
 *
 * <p>Definitions (V-statistics, as in MV-MR): {@code a_ij = |x_i - x_j|}, {@code b_ij = |y_i - y_j|};
 * A and B are a and b double-centred (subtract row and column means, add the grand mean);
 * {@code dCov^2(X, Y) = mean(A * B)} over the N x N entries; {@code dCor(X, Y) = dCov(X, Y) /
 * sqrt(dCov(X, X) dCov(Y, Y))} with {@code dCov = sqrt(dCov^2)}, i.e.
 * {@code dCor^2 = dCov^2(X,Y) / sqrt(dCov^2(X,X) dCov^2(Y,Y))}. It lies in [0, 1], is 1 for
 * Y = X (more generally for Y a similarity transform of X) and tends to 0 for independent samples.
 *
 * <p>Two versions:
 * <ul>
 * <li>{@link #dCov2(double[][], double[][])} and {@link #dCor(double[][], double[][])}: the textbook
 * quantities, no eps (a zero denominator gives dCor 0);</li>
 * <li>{@link #smoothDCor(double[][], double[][])}: what the layer computes, with three small
 * constants so that its gradient is finite everywhere:
 * {@code a_ij = sqrt(|x_i - x_j|^2 + DIST_EPS)} for all i, j, the diagonal too (the gradient of
 * sqrt at 0 is infinite: coinciding rows; one function applied to every entry keeps a collapsed,
 * constant batch at A = 0 exactly), {@code R = max(dCov^2(X,Y), 0) / sqrt(dCov^2(X,X) dCov^2(Y,Y) + DEN_EPS)}
 * (a collapsed batch has a zero denominator) and {@code dCor = sqrt(R + COR_EPS)} (R = 0 for a
 * constant batch). The diagonal's sqrt(DIST_EPS) = 3e-5 is what survives the double centring: it shifts dCor
 * by about sqrt(DIST_EPS) / (N * typical distance), ~1e-6 for distances of order 1 (the other two
 * constants shift it by ~1e-9); a distance below ~sqrt(DIST_EPS) = 3e-5 is blurred, so the smoothed dCor is not scale
 * invariant for batches of that tiny spread, and it is at least sqrt(COR_EPS) = 3e-5.</li>
 * </ul>
 * The constants are chosen for float as well as double: 1e-12 added to a squared distance of order 1
 * is lost in float, so the distance eps is 1e-9 (its sqrt, 3e-5, bounds a distance's gradient
 * 1/(2 sqrt(eps)) at 1.6e4).
 */
public final class DistanceCorrelation {

    /** Added to every squared distance (the diagonal's 0 too) before the square root. */
    public static final double DIST_EPS = 1e-9;

    /** Added to {@code dCov^2(X,X) dCov^2(Y,Y)} before its square root. */
    public static final double DEN_EPS = 1e-12;

    /** Added to the ratio {@code dCor^2} before the final square root. */
    public static final double COR_EPS = 1e-9;

    private DistanceCorrelation() {
    }

    /** Pairwise Euclidean distances {@code sqrt(|x_i - x_j|^2 + eps)}, the diagonal too; [N, N]. */
    public static double[][] distances(double[][] x, double eps) {
        int n = checkRows(x, "x");
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < x[i].length; k++) {
                    double diff = x[i][k] - x[j][k];
                    s += diff * diff;
                }
                d[i][j] = Math.sqrt(s + eps);
            }
        }
        return d;
    }

    /** Double centring: {@code a_ij - mean_j a_ij - mean_i a_ij + mean a}. */
    public static double[][] doubleCentred(double[][] a) {
        int n = a.length;
        double[] row = new double[n];
        double[] col = new double[n];
        double all = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                row[i] += a[i][j] / n;
                col[j] += a[i][j] / n;
                all += a[i][j];
            }
        }
        all /= (double) n * n;
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i][j] = a[i][j] - row[i] - col[j] + all;
            }
        }
        return c;
    }

    /** The textbook squared distance covariance {@code mean(A * B)} (V-statistic, no eps). */
    public static double dCov2(double[][] x, double[][] y) {
        return dCov2(x, y, 0.0);
    }

    /** {@code mean(A * B)} with distances {@code sqrt(|.|^2 + distEps)}. */
    public static double dCov2(double[][] x, double[][] y, double distEps) {
        checkPaired(x, y);
        return meanProduct(doubleCentred(distances(x, distEps)), doubleCentred(distances(y, distEps)));
    }

    /** The textbook distance correlation, in [0, 1]; 0 when either batch has zero distance variance. */
    public static double dCor(double[][] x, double[][] y) {
        checkPaired(x, y);
        double[][] a = doubleCentred(distances(x, 0.0));
        double[][] b = doubleCentred(distances(y, 0.0));
        double den = Math.sqrt(meanProduct(a, a) * meanProduct(b, b));
        if (!(den > 0)) {
            return 0.0;
        }
        return Math.sqrt(Math.max(meanProduct(a, b), 0.0) / den);
    }

    /** The distance correlation as {@link DistanceCorrelationLoss} computes it (see the class comment). */
    public static double smoothDCor(double[][] x, double[][] y) {
        checkPaired(x, y);
        double[][] a = doubleCentred(distances(x, DIST_EPS));
        double[][] b = doubleCentred(distances(y, DIST_EPS));
        double r = Math.max(meanProduct(a, b), 0.0) / Math.sqrt(meanProduct(a, a) * meanProduct(b, b) + DEN_EPS);
        return Math.sqrt(r + COR_EPS);
    }

    private static double meanProduct(double[][] a, double[][] b) {
        int n = a.length;
        double s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s += a[i][j] * b[i][j];
            }
        }
        return s / ((double) n * n);
    }

    private static int checkRows(double[][] x, String name) {
        if (x == null || x.length == 0) {
            throw new IllegalArgumentException("distance correlation: " + name + " has no rows");
        }
        int width = x[0].length;
        for (double[] row : x) {
            if (row.length != width || width == 0) {
                throw new IllegalArgumentException("distance correlation: " + name
                        + " must be a rectangular [N, p] array with p >= 1");
            }
        }
        return x.length;
    }

    private static void checkPaired(double[][] x, double[][] y) {
        int n = checkRows(x, "x");
        int m = checkRows(y, "y");
        if (n != m) {
            throw new IllegalArgumentException("distance correlation: x and y must have the same number of rows"
                    + " (paired samples), got " + n + " and " + m);
        }
    }
}
