package dev.pretext.eval;

import java.util.Random;

/**
 * Exact t-SNE (van der Maaten and Hinton, JMLR 2008) of a few thousand points to 2-D, for the
 * report's map of the test features. Written here because the JVM's packaged implementation is
 * Smile's (GPL-3.0). O(n^2) memory and time per iteration: meant for a seeded sample (n up to a
 * few thousand), not for a whole dataset.
 *
 * <p>Input similarities: a Gaussian per point whose bandwidth is found by bisection so that the
 * conditional distribution has the requested perplexity, symmetrised. Output: Student-t (one degree
 * of freedom) similarities, KL divergence minimised by gradient descent with momentum and per
 * coordinate gains, the first {@link #EXAGGERATION_ITERATIONS} iterations with the input
 * similarities exaggerated; as in the paper and in scikit-learn's exact method. Deterministic: one
 * thread, the start drawn from {@code seed}.
 */
public final class Tsne {
    static final int EXAGGERATION_ITERATIONS = 250;
    private static final double EXAGGERATION = 12.0;

    private final double perplexity;
    private final int iterations;
    private final long seed;

    /**
     * @param perplexity the effective number of neighbours (5 to 50 is usual; lowered to (n - 1) / 3 for small n)
     * @param iterations gradient steps, at least {@link #EXAGGERATION_ITERATIONS} + 50
     */
    public Tsne(double perplexity, int iterations, long seed) {
        if (!(perplexity > 1)) {
            throw new IllegalArgumentException("perplexity must be > 1, got " + perplexity);
        }
        if (iterations < EXAGGERATION_ITERATIONS + 50) {
            throw new IllegalArgumentException("iterations must be >= " + (EXAGGERATION_ITERATIONS + 50) + ", got "
                    + iterations);
        }
        this.perplexity = perplexity;
        this.iterations = iterations;
        this.seed = seed;
    }

    /** Perplexity 30, 1000 iterations. */
    public static Tsne defaults(long seed) {
        return new Tsne(30, 1000, seed);
    }

    /** The 2-D embedding of {@code x} (n rows of d values; n at least 4), one row per input row. */
    public double[][] embed(double[][] x) {
        int n = x.length;
        if (n < 4) {
            throw new IllegalArgumentException("t-SNE needs at least 4 points, got " + n);
        }
        double[] p = jointProbabilities(squaredDistances(x), Math.min(perplexity, (n - 1) / 3.0));
        return descend(p, n);
    }

    /** The KL divergence KL(P || Q) of an embedding {@code y} of {@code x}: what the descent minimises. */
    public double klDivergence(double[][] x, double[][] y) {
        int n = x.length;
        double[] p = jointProbabilities(squaredDistances(x), Math.min(perplexity, (n - 1) / 3.0));
        double[] num = new double[n * n];
        double sum = studentT(flatten(y), n, num);
        double kl = 0;
        for (int i = 0; i < n * n; i++) {
            if (i / n != i % n && p[i] > 0) {
                kl += p[i] * Math.log(p[i] / Math.max(num[i] / sum, 1e-12));
            }
        }
        return kl;
    }

    static double[] squaredDistances(double[][] x) {
        int n = x.length;
        double[] d = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                double[] a = x[i], b = x[j];
                for (int k = 0; k < a.length; k++) {
                    double t = a[k] - b[k];
                    s += t * t;
                }
                d[i * n + j] = s;
                d[j * n + i] = s;
            }
        }
        return d;
    }

    /** P_ij = (p_j|i + p_i|j) / 2n ({@link #conditionalProbabilities}). */
    static double[] jointProbabilities(double[] d, double perplexity) {
        int n = (int) Math.round(Math.sqrt(d.length));
        double[] cond = conditionalProbabilities(d, perplexity);
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i * n + j] = i == j ? 0 : Math.max((cond[i * n + j] + cond[j * n + i]) / (2.0 * n), 1e-12);
            }
        }
        return p;
    }

    /**
     * Row i: p_j|i, a Gaussian around point i whose precision is found by bisection so that its
     * entropy is log(perplexity).
     */
    static double[] conditionalProbabilities(double[] d, double perplexity) {
        int n = (int) Math.round(Math.sqrt(d.length));
        double target = Math.log(perplexity);
        double[] cond = new double[n * n];
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            double beta = 1, lo = Double.NEGATIVE_INFINITY, hi = Double.POSITIVE_INFINITY;
            // distances relative to the nearest neighbour, so exp() does not underflow for far-apart data
            double dmin = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    dmin = Math.min(dmin, d[i * n + j]);
                }
            }
            for (int step = 0; step < 100; step++) {
                double sum = 0, dot = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-(d[i * n + j] - dmin) * beta);
                    sum += row[j];
                    dot += row[j] * (d[i * n + j] - dmin);
                }
                double entropy = Math.log(sum) + beta * dot / sum;
                double diff = entropy - target;
                if (Math.abs(diff) < 1e-5) {
                    break;
                }
                if (diff > 0) {   // too flat: narrow the Gaussian
                    lo = beta;
                    beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = lo == Double.NEGATIVE_INFINITY ? beta / 2 : (beta + lo) / 2;
                }
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                row[j] = j == i ? 0 : Math.exp(-(d[i * n + j] - dmin) * beta);
                sum += row[j];
            }
            for (int j = 0; j < n; j++) {
                cond[i * n + j] = row[j] / sum;
            }
        }
        return cond;
    }

    private double[][] descend(double[] p, int n) {
        Random rnd = new Random(seed);
        double[] y = new double[2 * n];
        for (int i = 0; i < y.length; i++) {
            y[i] = 1e-4 * rnd.nextGaussian();
        }
        double[] update = new double[2 * n];
        double[] gains = new double[2 * n];
        java.util.Arrays.fill(gains, 1);
        double[] grad = new double[2 * n];
        double[] num = new double[n * n];
        // scikit-learn's "auto" rate: n / exaggeration / 4, at least 50
        double rate = Math.max(n / EXAGGERATION / 4, 50);
        for (int it = 0; it < iterations; it++) {
            double exaggeration = it < EXAGGERATION_ITERATIONS ? EXAGGERATION : 1;
            double momentum = it < EXAGGERATION_ITERATIONS ? 0.5 : 0.8;
            double sum = studentT(y, n, num);
            java.util.Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                double gx = 0, gy = 0;
                for (int j = 0; j < n; j++) {
                    if (j == i) {
                        continue;
                    }
                    double w = num[i * n + j];
                    double m = (exaggeration * p[i * n + j] - w / sum) * w;
                    gx += m * (y[2 * i] - y[2 * j]);
                    gy += m * (y[2 * i + 1] - y[2 * j + 1]);
                }
                grad[2 * i] = 4 * gx;
                grad[2 * i + 1] = 4 * gy;
            }
            for (int k = 0; k < y.length; k++) {
                boolean sameSign = (grad[k] > 0) == (update[k] > 0);
                gains[k] = Math.max(sameSign ? gains[k] * 0.8 : gains[k] + 0.2, 0.01);
                update[k] = momentum * update[k] - rate * gains[k] * grad[k];
                y[k] += update[k];
            }
            double mx = 0, my = 0;
            for (int i = 0; i < n; i++) {
                mx += y[2 * i];
                my += y[2 * i + 1];
            }
            for (int i = 0; i < n; i++) {
                y[2 * i] -= mx / n;
                y[2 * i + 1] -= my / n;
            }
        }
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = new double[]{y[2 * i], y[2 * i + 1]};
        }
        return out;
    }

    /** Fills {@code num} with 1 / (1 + |y_i - y_j|^2) (0 on the diagonal); returns their sum. */
    private static double studentT(double[] y, int n, double[] num) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            num[i * n + i] = 0;
            for (int j = i + 1; j < n; j++) {
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double w = 1 / (1 + dx * dx + dy * dy);
                num[i * n + j] = w;
                num[j * n + i] = w;
                sum += 2 * w;
            }
        }
        return sum;
    }

    private static double[] flatten(double[][] y) {
        double[] f = new double[2 * y.length];
        for (int i = 0; i < y.length; i++) {
            f[2 * i] = y[i][0];
            f[2 * i + 1] = y[i][1];
        }
        return f;
    }
}
