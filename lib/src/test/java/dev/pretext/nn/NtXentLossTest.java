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

class NtXentLossTest {

    /** Plain double-precision NT-Xent, with the documented handling of rows without exactly one partner. */
    static double reference(double[][] z, double[] ids, double t) {
        int n = z.length;
        double[][] u = new double[n][];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (double v : z[i]) {
                s += v * v;
            }
            double norm = Math.sqrt(s + 1e-12);
            u[i] = new double[z[i].length];
            for (int k = 0; k < z[i].length; k++) {
                u[i][k] = z[i][k] / norm;
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            double[] sim = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double d = 0;
                for (int k = 0; k < u[i].length; k++) {
                    d += u[i][k] * u[j][k];
                }
                sim[j] = d / t;
                if (j != i) {
                    max = Math.max(max, sim[j]);
                }
            }
            double sumExp = 0;
            double pos = 0;
            int partners = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                sumExp += Math.exp(sim[j] - max);
                if (ids[j] == ids[i]) {
                    pos += sim[j];
                    partners++;
                }
            }
            if (partners > 0) {
                total += max + Math.log(sumExp) - pos / partners;
            }
        }
        return total;
    }

    static ComputationGraph lossOnly(int d, double temperature, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(d))
                .addLayer("loss", new NtXentLoss(temperature), "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Sum over rows of the loss, as the layer returns it (DL4J's score is that divided by N). */
    static double layerSum(ComputationGraph g, double[][] z, double[] ids, DataType dt) {
        INDArray x = Nd4j.create(z).castTo(dt);
        INDArray y = Nd4j.create(ids, new long[] {ids.length, 1}).castTo(dt);
        return g.score(new DataSet(x, y), false) * z.length;
    }

    static double[][] randn(Random r, int n, int d) {
        double[][] z = new double[n][d];
        for (double[] row : z) {
            for (int k = 0; k < d; k++) {
                row[k] = r.nextGaussian();
            }
        }
        return z;
    }

    /** Pair ids 0..b-1 twice, rows in a random order. */
    static double[] permutedPairs(Random r, int b) {
        double[] ids = new double[2 * b];
        for (int i = 0; i < 2 * b; i++) {
            ids[i] = i % b;
        }
        for (int i = ids.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            double tmp = ids[i];
            ids[i] = ids[j];
            ids[j] = tmp;
        }
        return ids;
    }

    @Test
    void matchesDoubleReferenceOnPermutedPairs() {
        Random r = new Random(7);
        for (double t : new double[] {0.5, 0.1, 1.0}) {
            ComputationGraph g = lossOnly(5, t, DataType.DOUBLE);
            for (int trial = 0; trial < 3; trial++) {
                int b = 2 + r.nextInt(6);
                double[][] z = randn(r, 2 * b, 5);
                double[] ids = permutedPairs(r, b);
                double expected = reference(z, ids, t);
                assertEquals(expected, layerSum(g, z, ids, DataType.DOUBLE), 1e-10 * Math.max(1, expected),
                        "t=" + t + " b=" + b);
            }
        }
    }

    @Test
    void closedFormOnOrthogonalPairs() {
        // rows e1, e2, e1, e2 (interleaved pairs): partner cosine 1, all others 0
        double t = 0.5;
        double[][] z = {{3, 0}, {0, 2}, {1, 0}, {0, 5}};
        double[] ids = {0, 1, 0, 1};
        double perRow = Math.log(Math.exp(1 / t) + 2) - 1 / t;
        ComputationGraph g = lossOnly(2, t, DataType.DOUBLE);
        assertEquals(4 * perRow, layerSum(g, z, ids, DataType.DOUBLE), 1e-12);
        // DL4J's score is the mean over anchors
        INDArray x = Nd4j.create(z);
        INDArray y = Nd4j.create(ids, new long[] {4, 1});
        assertEquals(perRow, g.score(new DataSet(x, y), false), 1e-12);
    }

    @Test
    void singlePairHasZeroLoss() {
        // with one pair, each row's only candidate is its partner
        ComputationGraph g = lossOnly(3, 0.5, DataType.DOUBLE);
        assertEquals(0.0, layerSum(g, new double[][] {{1, 2, 3}, {-1, 0.5, 2}}, new double[] {4, 4}, DataType.DOUBLE),
                1e-12);
    }

    @Test
    void brokenPairsFollowTheDocumentedRule() {
        Random r = new Random(3);
        double[][] z = randn(r, 6, 4);
        ComputationGraph g = lossOnly(4, 0.5, DataType.DOUBLE);
        double[] orphan = {0, 1, 0, 1, 2, 3};      // rows 4 and 5 have no partner: no anchor term
        assertEquals(reference(z, orphan, 0.5), layerSum(g, z, orphan, DataType.DOUBLE), 1e-10);
        double[] triple = {0, 0, 0, 1, 1, 2};      // id 0 three times: mean over the two positives
        assertEquals(reference(z, triple, 0.5), layerSum(g, z, triple, DataType.DOUBLE), 1e-10);
    }

    @Test
    void floatAgreesWithDoubleAndStaysFiniteAtLowTemperature() {
        Random r = new Random(11);
        double[][] z = randn(r, 16, 8);
        double[] ids = permutedPairs(r, 8);
        for (double t : new double[] {0.5, 0.01}) {
            double expected = reference(z, ids, t);
            double got = layerSum(lossOnly(8, t, DataType.FLOAT), z, ids, DataType.FLOAT);
            assertTrue(Double.isFinite(got), "t=" + t);
            assertEquals(expected, got, 1e-4 * Math.max(1, Math.abs(expected)), "t=" + t);
        }
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
                    .addLayer("loss", new NtXentLoss(0.5), "dense")
                    .setOutputs("loss").build();
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            Random r = new Random(5);
            double[] ids = permutedPairs(r, 4);
            INDArray x = Nd4j.create(randn(r, 8, 5));
            INDArray y = Nd4j.create(ids, new long[] {8, 1});
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
            assertTrue(ok, "gradient check failed");
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new NtXentLoss(0.2), "dense")
                .setOutputs("loss").build();
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, back);
        NtXentLoss layer = (NtXentLoss) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("loss"))
                .getLayerConf().getLayer();
        assertEquals(0.2, layer.getTemperature());

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(9);
        DataSet ds = new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT),
                Nd4j.create(permutedPairs(r, 3), new long[] {6, 1}).castTo(DataType.FLOAT));
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), restored.params());
        assertEquals(before, restored.score(ds, false), 1e-6);
        assertFalse(Double.isNaN(before));
    }

    @Test
    void rejectsNonPositiveTemperature() {
        assertThrows(IllegalArgumentException.class, () -> new NtXentLoss(0));
        assertThrows(IllegalArgumentException.class, () -> new NtXentLoss(-1));
        assertThrows(IllegalArgumentException.class, () -> new NtXentLoss(Double.NaN));
    }
}
