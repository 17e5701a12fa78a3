package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class EmbeddingDiagnosticsTest {

    @Test
    void rankOneMatrixHasEffectiveRankOne() {
        double[] u = {1, -2, 0.5, 3, -1, 2};
        double[] v = {0.3, -0.7, 1.1, 0.2};
        double[][] z = new double[u.length][v.length];
        for (int i = 0; i < u.length; i++) {
            for (int j = 0; j < v.length; j++) {
                z[i][j] = u[i] * v[j] + 5.0 * j; // a constant column offset disappears with centring
            }
        }
        assertEquals(1.0, EmbeddingDiagnostics.effectiveRank(z), 1e-6);
    }

    @Test
    void knownSingularValuesGiveTheEntropyFormula() {
        // rows diag(3,2,1) and -diag(3,2,1): column means are 0, singular values sqrt(2)*(3,2,1)
        double[][] z = {{3, 0, 0}, {0, 2, 0}, {0, 0, 1}, {-3, 0, 0}, {0, -2, 0}, {0, 0, -1}};
        double[] p = {0.5, 1.0 / 3, 1.0 / 6};
        double h = 0;
        for (double q : p) {
            h -= q * Math.log(q);
        }
        assertEquals(Math.exp(h), EmbeddingDiagnostics.effectiveRank(z), 1e-9);
    }

    @Test
    void orthogonalDirectionsWithEqualEnergyGiveFullRank() {
        int d = 8;
        double[][] z = new double[2 * d][d];
        for (int j = 0; j < d; j++) {
            z[j][j] = 1;
            z[d + j][j] = -1;
        }
        assertEquals(d, EmbeddingDiagnostics.effectiveRank(z), 1e-9);
        // wide case (fewer rows than columns) goes through the other Gram matrix
        double[][] wide = {{1, 0, 0, 0, 0}, {-1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, -1, 0, 0, 0}};
        assertEquals(2.0, EmbeddingDiagnostics.effectiveRank(wide), 1e-9);
    }

    @Test
    void collapsedEmbeddingHasRankZeroAndStdZero() {
        double[][] z = {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}};
        assertEquals(0.0, EmbeddingDiagnostics.effectiveRank(z), 0.0);
        assertEquals(0.0, EmbeddingDiagnostics.embeddingStd(z), 1e-15);
    }

    @Test
    void embeddingStdMatchesAPlainComputation() {
        Random r = new Random(3);
        double[][] z = new double[50][6];
        for (double[] row : z) {
            for (int j = 0; j < row.length; j++) {
                row[j] = r.nextGaussian() * (j + 1);
            }
        }
        // plain reference via ND4J ops
        var a = Nd4j.createFromArray(z);
        var norms = a.norm2(1).reshape(50, 1);
        var u = a.divColumnVector(norms);
        double expected = u.std(true, 0).meanNumber().doubleValue();
        assertEquals(expected, EmbeddingDiagnostics.embeddingStd(z), 1e-12);
        // isotropic Gaussian in D dims: std of normalised coordinates is close to 1/sqrt(D)
        double[][] g = new double[4000][16];
        for (double[] row : g) {
            for (int j = 0; j < 16; j++) {
                row[j] = r.nextGaussian();
            }
        }
        assertEquals(0.25, EmbeddingDiagnostics.embeddingStd(g), 0.01);
    }

    @Test
    void nonFiniteInputGivesNaNRank() {
        assertTrue(Double.isNaN(EmbeddingDiagnostics.effectiveRank(new double[][]{{1, Double.NaN}, {0, 1}})));
    }

    @Test
    void toMatrixFlattensExtraDimensions() {
        var a = Nd4j.arange(24).reshape(2, 3, 4).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        double[][] m = EmbeddingDiagnostics.toMatrix(a);
        assertEquals(2, m.length);
        assertEquals(12, m[0].length);
        assertEquals(23.0, m[1][11], 0.0);
    }
}
