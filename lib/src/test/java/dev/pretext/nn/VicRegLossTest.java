package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Random;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

class VicRegLossTest {

    /** Plain double-precision VICReg batch loss of stacked views z = [z_a; z_b], as the official code. */
    static double reference(double[][] z, double sim, double std, double cov, double eps) {
        int b = z.length / 2;
        int d = z[0].length;
        double inv = 0;
        for (int r = 0; r < b; r++) {
            for (int k = 0; k < d; k++) {
                double diff = z[r][k] - z[b + r][k];
                inv += diff * diff;
            }
        }
        inv /= (double) b * d;
        double var = 0;
        double covTerm = 0;
        for (int from : new int[] {0, b}) {
            double[][] c = new double[b][d];
            for (int k = 0; k < d; k++) {
                double mean = 0;
                for (int r = 0; r < b; r++) {
                    mean += z[from + r][k];
                }
                mean /= b;
                for (int r = 0; r < b; r++) {
                    c[r][k] = z[from + r][k] - mean;
                }
            }
            double hinge = 0;
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double cij = 0;
                    for (int r = 0; r < b; r++) {
                        cij += c[r][i] * c[r][j];
                    }
                    cij /= b - 1;
                    if (i == j) {
                        hinge += Math.max(0, 1 - Math.sqrt(cij + eps));
                    } else {
                        covTerm += cij * cij / d;
                    }
                }
            }
            var += hinge / d / 2;      // the official code averages the two views' hinge terms
        }
        return sim * inv + std * var + cov * covTerm;
    }

    static double reference(double[][] z) {
        return reference(z, 25, 25, 1, 1e-4);
    }

    static ComputationGraph lossOnly(int d, VicRegLoss loss, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(d))
                .addLayer("loss", loss, "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** DL4J's score: the batch loss (the layer returns loss * N, DL4J divides by N). */
    static double score(ComputationGraph g, double[][] z, DataType dt) {
        return g.score(CrossViewCosineLossTest.dataSet(z, stacked(2, z.length / 2), dt), false);
    }

    static double[][] randn(Random r, int n, int d, double sd) {
        double[][] z = CrossViewCosineLossTest.randn(r, n, d);
        for (double[] row : z) {
            for (int k = 0; k < d; k++) {
                row[k] *= sd;
            }
        }
        return z;
    }

    static double[] stacked(int k, int b) {
        return CrossViewCosineLossTest.stacked(k, b);
    }

    @Test
    void scoreIsTheBatchLossOfTheDoubleReference() {
        Random r = new Random(21);
        double[][] coeffs = {{25, 25, 1, 1e-4}, {1, 0, 0, 1e-4}, {0, 3, 0, 1e-2}, {0, 0, 2, 1e-4}, {2, 7, 0.5, 1e-3}};
        for (double[] c : coeffs) {
            for (int d : new int[] {1, 4, 9}) {
                ComputationGraph g = lossOnly(d, new VicRegLoss(c[0], c[1], c[2], c[3]), DataType.DOUBLE);
                for (int b : new int[] {2, 3, 8}) {
                    // spreads below and above 1 so that some hinge terms are active and some are not
                    double[][] z = randn(r, 2 * b, d, 0.3 + 1.5 * r.nextDouble());
                    double expected = reference(z, c[0], c[1], c[2], c[3]);
                    assertEquals(expected, score(g, z, DataType.DOUBLE), 1e-10 * Math.max(1, expected),
                            java.util.Arrays.toString(c) + " d=" + d + " b=" + b);
                }
            }
        }
    }

    @Test
    void identicalViewsHaveNoInvarianceTerm() {
        Random r = new Random(3);
        double[][] view = randn(r, 5, 4, 1);
        double[][] z = new double[10][];
        for (int i = 0; i < 5; i++) {
            z[i] = view[i].clone();
            z[5 + i] = view[i].clone();
        }
        assertEquals(0.0, score(lossOnly(4, new VicRegLoss(25, 0, 0), DataType.DOUBLE), z, DataType.DOUBLE), 0.0);
        assertEquals(reference(z, 0, 25, 1, 1e-4), score(lossOnly(4, new VicRegLoss(), DataType.DOUBLE), z,
                DataType.DOUBLE), 1e-10);
    }

    @Test
    void closedForms() {
        // identical views, columns +-2 (unbiased std 2.31 > 1), centred and pairwise orthogonal: every term is 0
        double[][] view = {{2, 2, 2}, {2, -2, -2}, {-2, 2, -2}, {-2, -2, 2}};
        double[][] z = new double[8][];
        for (int i = 0; i < 4; i++) {
            z[i] = view[i].clone();
            z[4 + i] = view[i].clone();
        }
        assertEquals(0.0, score(lossOnly(3, new VicRegLoss(), DataType.DOUBLE), z, DataType.DOUBLE), 1e-12);
        // view a collapsed to zeros: its hinge is 1 - sqrt(eps) per feature, view b's is 0; the two are
        // AVERAGED (official code), so the variance term is (1 - 0.01) / 2
        for (int i = 0; i < 4; i++) {
            z[i] = new double[3];
        }
        assertEquals(0.99 / 2, score(lossOnly(3, new VicRegLoss(0, 1, 0), DataType.DOUBLE), z, DataType.DOUBLE),
                1e-12);
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                    .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                    .graphBuilder()
                    .addInputs("in").setInputTypes(InputType.feedForward(5))
                    .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "in")
                    .addLayer("loss", new VicRegLoss(), "dense")
                    .setOutputs("loss").build();
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            Random r = new Random(5);
            INDArray x = Nd4j.create(randn(r, 10, 5, 1));
            INDArray y = Nd4j.create(stacked(2, 5), new long[] {10, 1});
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
            assertTrue(ok, "gradient check failed");
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void floatAgreesWithDouble() {
        Random r = new Random(14);
        double[][] z = randn(r, 32, 8, 0.7);
        double expected = reference(z);
        double got = score(lossOnly(8, new VicRegLoss(), DataType.FLOAT), z, DataType.FLOAT);
        assertEquals(expected, got, 1e-4 * Math.max(1, expected));
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new VicRegLoss(10, 20, 2, 1e-3), "dense")
                .setOutputs("loss").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        VicRegLoss layer = (VicRegLoss) ((LayerVertex) back.getVertices().get("loss")).getLayerConf().getLayer();
        assertEquals(10, layer.getSimCoeff());
        assertEquals(20, layer.getStdCoeff());
        assertEquals(2, layer.getCovCoeff());
        assertEquals(1e-3, layer.getEps());

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(9);
        DataSet ds = CrossViewCosineLossTest.dataSet(randn(r, 8, 5, 1), stacked(2, 4), DataType.FLOAT);
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), restored.params());
        assertEquals(before, restored.score(ds, false), 1e-6);
        assertFalse(Double.isNaN(before));
    }

    @Test
    void rejectsBadCoefficientsAndBatchesOtherThanTwoStackedViews() {
        assertThrows(IllegalArgumentException.class, () -> new VicRegLoss(-1, 25, 1));
        assertThrows(IllegalArgumentException.class, () -> new VicRegLoss(25, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new VicRegLoss(25, 25, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> new VicRegLoss(25, 25, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new VicRegLoss(25, 25, 1, -1e-4));

        ComputationGraph g = lossOnly(3, new VicRegLoss(), DataType.DOUBLE);
        Random r = new Random(2);
        IllegalArgumentException fourViews = assertThrows(IllegalArgumentException.class,
                () -> g.score(CrossViewCosineLossTest.dataSet(randn(r, 8, 3, 1), stacked(4, 2), DataType.DOUBLE),
                        false));
        assertTrue(fourViews.getMessage().contains("K = 4"), fourViews.getMessage());
        // B = 1 has no unbiased variance
        IllegalArgumentException onePair = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 2, 3, 1), DataType.DOUBLE));
        assertTrue(onePair.getMessage().contains("B >= 2"), onePair.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.score(CrossViewCosineLossTest.dataSet(randn(r, 6, 3, 1),
                new double[] {1, 0, 2, 0, 1, 2}, DataType.DOUBLE), false));
    }
}
