package dev.pretext.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TsneTest {
    /** {@code clusters} Gaussian clusters of {@code per} points in {@code dim} dimensions, centres 10 apart, std 1. */
    static double[][] blobs(int clusters, int per, int dim, long seed, int[] labels) {
        Random r = new Random(seed);
        double[][] centres = new double[clusters][dim];
        for (int c = 0; c < clusters; c++) {
            centres[c][c % dim] = 10;   // pairwise 10 * sqrt(2) apart
        }
        double[][] x = new double[clusters * per][dim];
        for (int i = 0; i < x.length; i++) {
            int c = i % clusters;
            labels[i] = c;
            for (int k = 0; k < dim; k++) {
                x[i][k] = centres[c][k] + r.nextGaussian();
            }
        }
        return x;
    }

    @Test
    void wellSeparatedClustersStaySeparated() {
        int k = 4, per = 30;
        int[] labels = new int[k * per];
        double[][] x = blobs(k, per, 20, 7, labels);
        double[][] y = new Tsne(15, 500, 1).embed(x);
        assertEquals(x.length, y.length);
        // every point's nearest neighbour in the map is of its own cluster
        for (int i = 0; i < y.length; i++) {
            int best = -1;
            double bd = Double.POSITIVE_INFINITY;
            for (int j = 0; j < y.length; j++) {
                double d = dist(y[i], y[j]);
                if (j != i && d < bd) {
                    bd = d;
                    best = j;
                }
            }
            assertEquals(labels[i], labels[best], "point " + i + "'s nearest neighbour is in another cluster");
        }
        // and the clusters are apart: the closest pair of points from two clusters is farther than
        // the mean distance of a point to its own cluster's centre
        double[][] centre = new double[k][2];
        for (int i = 0; i < y.length; i++) {
            centre[labels[i]][0] += y[i][0] / per;
            centre[labels[i]][1] += y[i][1] / per;
        }
        double spread = 0;
        for (int i = 0; i < y.length; i++) {
            spread += dist(y[i], centre[labels[i]]) / y.length;
        }
        double gap = Double.POSITIVE_INFINITY;
        for (int i = 0; i < y.length; i++) {
            for (int j = 0; j < y.length; j++) {
                if (labels[i] != labels[j]) {
                    gap = Math.min(gap, dist(y[i], y[j]));
                }
            }
        }
        assertTrue(gap > spread, "closest pair across clusters " + gap + " vs within-cluster spread " + spread);
    }

    @Test
    void sameSeedSameMapOtherSeedAnother() {
        int[] labels = new int[60];
        double[][] x = blobs(3, 20, 8, 3, labels);
        Tsne a = new Tsne(10, 300, 42);
        double[][] y1 = a.embed(x);
        double[][] y2 = new Tsne(10, 300, 42).embed(x);
        for (int i = 0; i < y1.length; i++) {
            assertArrayEquals(y1[i], y2[i], 0.0);
        }
        double[][] y3 = new Tsne(10, 300, 43).embed(x);
        double diff = 0;
        for (int i = 0; i < y1.length; i++) {
            diff += dist(y1[i], y3[i]);
        }
        assertTrue(diff > 1e-3, "a different seed gives a different start, so a different map");
    }

    @Test
    void descentLowersTheKlDivergenceBelowTheRandomStart() {
        int[] labels = new int[60];
        double[][] x = blobs(3, 20, 8, 5, labels);
        Tsne t = new Tsne(10, 300, 9);
        double[][] y = t.embed(x);
        Random r = new Random(9);
        double[][] start = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            start[i] = new double[]{r.nextGaussian(), r.nextGaussian()};
        }
        double kl = t.klDivergence(x, y), klRandom = t.klDivergence(x, start);
        assertTrue(kl >= 0 && kl < 0.75 * klRandom, "KL of the map " + kl + " vs a random layout " + klRandom);
    }

    @Test
    void perplexityIsMatchedPerPoint() {
        int[] labels = new int[40];
        double[][] x = blobs(2, 20, 5, 11, labels);
        double[] d = Tsne.squaredDistances(x);
        double perplexity = 8;
        int n = x.length;
        double[] cond = Tsne.conditionalProbabilities(d, perplexity);
        for (int i = 0; i < n; i++) {
            double h = 0, sum = 0;
            for (int j = 0; j < n; j++) {
                double q = cond[i * n + j];
                sum += q;
                h -= q > 0 ? q * Math.log(q) : 0;
            }
            assertEquals(1.0, sum, 1e-9);
            assertEquals(perplexity, Math.exp(h), 1e-3, "perplexity of point " + i);
        }
        double[] p = Tsne.jointProbabilities(d, perplexity);
        // symmetric, sums to 1
        double total = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(p[i * n + j], p[j * n + i], 1e-15);
                total += p[i * n + j];
            }
        }
        assertEquals(1.0, total, 1e-9);
    }

    @Test
    void refusesTooFewPointsAndBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> Tsne.defaults(1).embed(new double[3][2]));
        assertThrows(IllegalArgumentException.class, () -> new Tsne(0.5, 1000, 1));
        assertThrows(IllegalArgumentException.class, () -> new Tsne(30, 100, 1));
    }

    private static double dist(double[] a, double[] b) {
        return Math.hypot(a[0] - b[0], a[1] - b[1]);
    }
}
