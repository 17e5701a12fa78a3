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
import org.nd4j.linalg.learning.config.Sgd;

class BarlowTwinsLossTest {

    /** Plain double-precision Barlow Twins batch loss of stacked views z = [z_a; z_b]. */
    static double reference(double[][] z, double lambda) {
        int b = z.length / 2;
        int d = z[0].length;
        double[][] a = standardise(z, 0, b);
        double[][] c = standardise(z, b, b);
        double loss = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double cij = 0;
                for (int r = 0; r < b; r++) {
                    cij += a[r][i] * c[r][j];
                }
                cij /= b;
                loss += i == j ? (1 - cij) * (1 - cij) : lambda * cij * cij;
            }
        }
        return loss;
    }

    /** Rows [from, from+b) of z, each column to mean 0 and biased variance 1 (BatchNorm, eps 1e-5). */
    static double[][] standardise(double[][] z, int from, int b) {
        int d = z[0].length;
        double[][] out = new double[b][d];
        for (int k = 0; k < d; k++) {
            double mean = 0;
            for (int r = 0; r < b; r++) {
                mean += z[from + r][k];
            }
            mean /= b;
            double var = 0;
            for (int r = 0; r < b; r++) {
                double c = z[from + r][k] - mean;
                var += c * c;
            }
            var /= b;
            for (int r = 0; r < b; r++) {
                out[r][k] = (z[from + r][k] - mean) / Math.sqrt(var + 1e-5);
            }
        }
        return out;
    }

    static ComputationGraph lossOnly(int d, BarlowTwinsLoss loss, DataType dt) {
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
    static double score(ComputationGraph g, double[][] z, double[] ids, DataType dt) {
        return g.score(CrossViewCosineLossTest.dataSet(z, ids, dt), false);
    }

    static double[][] randn(Random r, int n, int d) {
        return CrossViewCosineLossTest.randn(r, n, d);
    }

    static double[] stacked(int k, int b) {
        return CrossViewCosineLossTest.stacked(k, b);
    }

    @Test
    void scoreIsTheBatchLossOfTheDoubleReference() {
        Random r = new Random(8);
        for (double lambda : new double[] {BarlowTwinsLoss.DEFAULT_LAMBDA, 0.0, 0.7}) {
            for (int d : new int[] {1, 3, 7}) {
                ComputationGraph g = lossOnly(d, new BarlowTwinsLoss(lambda), DataType.DOUBLE);
                for (int b : new int[] {2, 3, 9}) {
                    double[][] z = randn(r, 2 * b, d);
                    for (double[] row : z) {
                        row[0] = 3 * row[0] + 1;   // a column off the standard scale
                    }
                    double expected = reference(z, lambda);
                    assertEquals(expected, score(g, z, stacked(2, b), DataType.DOUBLE),
                            1e-10 * Math.max(1, expected), "lambda=" + lambda + " d=" + d + " b=" + b);
                }
            }
        }
    }

    @Test
    void identicalWhitenedViewsGiveAlmostZero() {
        // columns of +-1 with mean 0, biased variance 1, pairwise orthogonal (Hadamard rows): C = I / (1 + 1e-5)
        double[][] view = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
        double[][] z = new double[8][];
        for (int i = 0; i < 4; i++) {
            z[i] = view[i].clone();
            z[4 + i] = view[i].clone();
        }
        double got = score(lossOnly(3, new BarlowTwinsLoss(), DataType.DOUBLE), z, stacked(2, 4), DataType.DOUBLE);
        double cii = 1 / (1 + 1e-5);
        assertEquals(3 * (1 - cii) * (1 - cii), got, 1e-15);
        assertTrue(got < 1e-9);
        // invariant to a per-view affine rescaling of each feature
        for (int i = 0; i < 4; i++) {
            z[4 + i] = new double[] {5 * view[i][0] - 2, 0.5 * view[i][1] + 3, 10 * view[i][2]};
        }
        assertEquals(reference(z, 5e-3),
                score(lossOnly(3, new BarlowTwinsLoss(), DataType.DOUBLE), z, stacked(2, 4), DataType.DOUBLE), 1e-12);
        assertTrue(reference(z, 5e-3) < 1e-8);
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
                    .addLayer("loss", new BarlowTwinsLoss(0.05), "dense")
                    .setOutputs("loss").build();
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            Random r = new Random(5);
            INDArray x = Nd4j.create(randn(r, 10, 5));
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
        Random r = new Random(13);
        double[][] z = randn(r, 32, 8);
        double expected = reference(z, 5e-3);
        double got = score(lossOnly(8, new BarlowTwinsLoss(), DataType.FLOAT), z, stacked(2, 16), DataType.FLOAT);
        assertEquals(expected, got, 1e-4 * Math.max(1, expected));
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new BarlowTwinsLoss(0.02), "dense")
                .setOutputs("loss").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        BarlowTwinsLoss layer = (BarlowTwinsLoss) ((LayerVertex) back.getVertices().get("loss")).getLayerConf()
                .getLayer();
        assertEquals(0.02, layer.getLambda());

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(9);
        DataSet ds = CrossViewCosineLossTest.dataSet(randn(r, 8, 5), stacked(2, 4), DataType.FLOAT);
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), restored.params());
        assertEquals(before, restored.score(ds, false), 1e-6);
        assertFalse(Double.isNaN(before));
    }

    @Test
    void rejectsBadLambdaAndBatchesOtherThanTwoStackedViews() {
        assertThrows(IllegalArgumentException.class, () -> new BarlowTwinsLoss(-1e-3));
        assertThrows(IllegalArgumentException.class, () -> new BarlowTwinsLoss(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new BarlowTwinsLoss(Double.POSITIVE_INFINITY));

        ComputationGraph g = lossOnly(3, new BarlowTwinsLoss(), DataType.DOUBLE);
        Random r = new Random(2);
        IllegalArgumentException threeViews = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 9, 3), stacked(3, 3), DataType.DOUBLE));
        assertTrue(threeViews.getMessage().contains("K = 2") && threeViews.getMessage().contains("K = 3"),
                threeViews.getMessage());
        // the check also runs in front of the gradient: fitting a bad batch fails, a good one still trains
        ComputationGraph trained = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(3).updater(new Sgd(0.1)).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(3))
                .addLayer("dense", new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("loss", new BarlowTwinsLoss(), "dense")
                .setOutputs("loss").build());
        trained.init();
        IllegalArgumentException fitThree = assertThrows(IllegalArgumentException.class,
                () -> trained.fit(CrossViewCosineLossTest.dataSet(randn(r, 9, 3), stacked(3, 3), DataType.DOUBLE)));
        assertTrue(fitThree.getMessage().contains("K = 3"), fitThree.getMessage());
        INDArray before = trained.params().dup();
        trained.fit(CrossViewCosineLossTest.dataSet(randn(r, 6, 3), stacked(2, 3), DataType.DOUBLE));
        assertFalse(before.equals(trained.params()));
        IllegalArgumentException interleaved = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 6, 3), new double[] {0, 0, 1, 1, 2, 2}, DataType.DOUBLE));
        assertTrue(interleaved.getMessage().contains("stacked"), interleaved.getMessage());
        IllegalArgumentException onePair = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 2, 3), new double[] {0, 0}, DataType.DOUBLE));
        assertTrue(onePair.getMessage().contains("B >= 2"), onePair.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 6, 3), new double[] {0, 1, 2, 0, 1, 3}, DataType.DOUBLE));
        IllegalArgumentException noLabels = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(randn(r, 4, 3)), Nd4j.zeros(DataType.DOUBLE, 4, 2)), false));
        assertTrue(noLabels.getMessage().contains("[4, 1]"), noLabels.getMessage());
    }
}
