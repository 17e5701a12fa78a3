package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Random;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

class CrossViewCosineLossTest {

    /** Plain double-precision loss SUM over rows of input rows [p | z], partners by id. */
    static double reference(double[][] x, double[] ids, String form) {
        double offset = CrossViewCosineLoss.BYOL.equals(form) ? 1 : 0;
        double scale = CrossViewCosineLoss.BYOL.equals(form) ? 2 : 1;
        int n = x.length;
        int d = x[0].length / 2;
        double total = 0;
        for (int r = 0; r < n; r++) {
            double cosSum = 0;
            int partners = 0;
            for (int s = 0; s < n; s++) {
                if (s == r || ids[s] != ids[r]) {
                    continue;
                }
                double pp = 0;
                double zz = 0;
                double pz = 0;
                for (int k = 0; k < d; k++) {
                    double p = x[r][k];
                    double z = x[s][d + k];
                    pp += p * p;
                    zz += z * z;
                    pz += p * z;
                }
                cosSum += pz / (Math.sqrt(pp + 1e-12) * Math.sqrt(zz + 1e-12));
                partners++;
            }
            total += scale * (offset - cosSum / partners);
        }
        return total;
    }

    static ComputationGraph lossOnly(int width, String form, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(width))
                .addLayer("loss", new CrossViewCosineLoss(form), "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static double layerSum(ComputationGraph g, double[][] x, double[] ids, DataType dt) {
        return g.score(dataSet(x, ids, dt), false) * x.length;
    }

    static DataSet dataSet(double[][] x, double[] ids, DataType dt) {
        return new DataSet(Nd4j.create(x).castTo(dt), Nd4j.create(ids, new long[] {ids.length, 1}).castTo(dt));
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

    /** The project layout: view k of image i at row k*b + i, id i. */
    static double[] stacked(int k, int b) {
        double[] ids = new double[k * b];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = r % b;
        }
        return ids;
    }

    @Test
    void matchesDoubleReferenceForSeveralViewsAndSizes() {
        Random r = new Random(17);
        for (String form : new String[] {CrossViewCosineLoss.BYOL, CrossViewCosineLoss.SIMSIAM}) {
            for (int d : new int[] {1, 3, 8}) {
                ComputationGraph g = lossOnly(2 * d, form, DataType.DOUBLE);
                for (int k : new int[] {2, 3, 4}) {
                    for (int b : new int[] {1, 2, 5}) {
                        double[][] x = randn(r, k * b, 2 * d);
                        double[] ids = stacked(k, b);
                        double expected = reference(x, ids, form);
                        assertEquals(expected, layerSum(g, x, ids, DataType.DOUBLE),
                                1e-10 * Math.max(1, Math.abs(expected)),
                                form + " d=" + d + " k=" + k + " b=" + b);
                    }
                }
            }
        }
    }

    @Test
    void rowsArePairedByIdInAnyOrder() {
        Random r = new Random(4);
        double[][] x = randn(r, 9, 6);
        double[] ids = {2, 0, 1, 1, 2, 0, 0, 2, 1};
        ComputationGraph g = lossOnly(6, CrossViewCosineLoss.BYOL, DataType.DOUBLE);
        assertEquals(reference(x, ids, CrossViewCosineLoss.BYOL), layerSum(g, x, ids, DataType.DOUBLE), 1e-10);
    }

    @Test
    void closedFormScores() {
        // two images, two views; p of each row equals its partner's z up to scale: cos 1, BYOL 0, SimSiam -1
        double[][] x = {{1, 0, 5, 0}, {0, 2, 0, 7}, {3, 0, 2, 0}, {0, 1, 0, 4}};
        double[] ids = {0, 1, 0, 1};
        assertEquals(0.0, lossOnly(4, "byol", DataType.DOUBLE).score(dataSet(x, ids, DataType.DOUBLE), false), 1e-12);
        assertEquals(-1.0, lossOnly(4, "SimSiam", DataType.DOUBLE).score(dataSet(x, ids, DataType.DOUBLE), false),
                1e-12);
        // orthogonal p and partner z: cos 0, BYOL's score 2 (the mean over the N anchors)
        double[][] orth = {{1, 0, 0, 5}, {0, 2, 7, 0}, {3, 0, 0, 2}, {0, 1, 4, 0}};
        assertEquals(2.0, lossOnly(4, "byol", DataType.DOUBLE).score(dataSet(orth, ids, DataType.DOUBLE), false),
                1e-12);
    }

    @Test
    void zeroRowsStayFinite() {
        double[][] x = {{0, 0, 0, 0}, {1, 2, 3, 4}};
        ComputationGraph g = lossOnly(4, CrossViewCosineLoss.BYOL, DataType.DOUBLE);
        assertEquals(reference(x, new double[] {0, 0}, "byol"), layerSum(g, x, new double[] {0, 0}, DataType.DOUBLE),
                1e-10);
    }

    @Test
    void inputGradientIsZeroOnTheTargetHalfAndMatchesFiniteDifferencesOnThePredictionHalf() {
        Random r = new Random(23);
        int k = 3;
        int b = 3;
        int d = 4;
        double[][] x = randn(r, k * b, 2 * d);
        double[] ids = stacked(k, b);
        for (String form : new String[] {CrossViewCosineLoss.BYOL, CrossViewCosineLoss.SIMSIAM}) {
            ComputationGraph g = lossOnly(2 * d, form, DataType.DOUBLE);
            Layer layer = g.getLayer("loss");
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            layer.setInput(Nd4j.create(x), mgr);
            ((IOutputLayer) layer).setLabels(Nd4j.create(ids, new long[] {ids.length, 1}));
            Pair<Gradient, INDArray> bp = layer.backpropGradient(null, mgr);
            INDArray grad = bp.getSecond();
            assertEquals(k * b, grad.size(0));
            assertEquals(2 * d, grad.size(1));
            double h = 1e-6;
            for (int row = 0; row < k * b; row++) {
                for (int c = 0; c < 2 * d; c++) {
                    if (c >= d) {
                        assertEquals(0.0, grad.getDouble(row, c), 0.0, "z half must get no gradient: " + row + "," + c);
                        continue;
                    }
                    double keep = x[row][c];
                    x[row][c] = keep + h;
                    double up = reference(x, ids, form);
                    x[row][c] = keep - h;
                    double down = reference(x, ids, form);
                    x[row][c] = keep;
                    // the layer's raw gradient is of the SUM; DL4J's updater divides by N afterwards
                    assertEquals((up - down) / (2 * h), grad.getDouble(row, c), 1e-7, form + " " + row + "," + c);
                }
            }
        }
    }

    @Test
    void gradientCheckInDoubleWithTheTargetAsAnInput() {
        // Parameters reach only p; z is a graph input, so finite differences of the score see no
        // stop-gradient path and must match the analytic gradient.
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (String form : new String[] {CrossViewCosineLoss.BYOL, CrossViewCosineLoss.SIMSIAM}) {
                ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                        .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                        .graphBuilder()
                        .addInputs("x", "target").setInputTypes(InputType.feedForward(5), InputType.feedForward(4))
                        .addLayer("predictor", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(),
                                "x")
                        .addVertex("pz", new MergeVertex(), "predictor", "target")
                        .addLayer("loss", new CrossViewCosineLoss(form), "pz")
                        .setOutputs("loss").build();
                ComputationGraph g = new ComputationGraph(conf);
                g.init();
                Random r = new Random(5);
                double[] ids = stacked(3, 3);
                INDArray x = Nd4j.create(randn(r, 9, 5));
                INDArray target = Nd4j.create(randn(r, 9, 4));
                INDArray y = Nd4j.create(ids, new long[] {9, 1});
                boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {x, target}).labels(new INDArray[] {y})
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
                assertTrue(ok, form + ": gradient check failed");
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void floatAgreesWithDouble() {
        Random r = new Random(31);
        double[][] x = randn(r, 16, 10);
        double[] ids = stacked(2, 8);
        double expected = reference(x, ids, "byol");
        double got = layerSum(lossOnly(10, "byol", DataType.FLOAT), x, ids, DataType.FLOAT);
        assertEquals(expected, got, 1e-4 * Math.max(1, Math.abs(expected)));
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", CrossViewCosineLoss.simSiam(), "dense")
                .setOutputs("loss").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        CrossViewCosineLoss layer = (CrossViewCosineLoss) ((LayerVertex) back.getVertices().get("loss"))
                .getLayerConf().getLayer();
        assertEquals(CrossViewCosineLoss.SIMSIAM, layer.getForm());
        assertFalse(conf.equals(ComputationGraphConfiguration.fromJson(conf.toJson().replace("simsiam", "byol"))));

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(9);
        DataSet ds = dataSet(randn(r, 6, 5), stacked(2, 3), DataType.FLOAT);
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), restored.params());
        assertEquals(before, restored.score(ds, false), 1e-6);
        assertFalse(Double.isNaN(before));
    }

    @Test
    void rejectsBadFormsWidthsAndBatches() {
        assertThrows(IllegalArgumentException.class, () -> new CrossViewCosineLoss("mse"));
        assertThrows(IllegalArgumentException.class, () -> new CrossViewCosineLoss(null));
        assertThrows(IllegalArgumentException.class, () -> lossOnly(5, "byol", DataType.DOUBLE));

        ComputationGraph g = lossOnly(4, "byol", DataType.DOUBLE);
        Random r = new Random(1);
        double[][] x = randn(r, 6, 4);
        IllegalArgumentException orphan = assertThrows(IllegalArgumentException.class,
                () -> g.score(dataSet(x, new double[] {0, 1, 0, 1, 2, 3}, DataType.DOUBLE), false));
        assertTrue(orphan.getMessage().contains("distinct"), orphan.getMessage());
        IllegalArgumentException uneven = assertThrows(IllegalArgumentException.class,
                () -> g.score(dataSet(x, new double[] {0, 0, 0, 1, 1, 2}, DataType.DOUBLE), false));
        assertTrue(uneven.getMessage().contains("occurs"), uneven.getMessage());
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> g.score(dataSet(randn(r, 3, 4), new double[] {0, 1, 2}, DataType.DOUBLE), false));
        assertTrue(single.getMessage().contains("K >= 2"), single.getMessage());
        IllegalArgumentException fractional = assertThrows(IllegalArgumentException.class,
                () -> g.score(dataSet(randn(r, 2, 4), new double[] {0.5, 0.5}, DataType.DOUBLE), false));
        assertTrue(fractional.getMessage().contains("row 0"), fractional.getMessage());
        // the graph still scores a correct batch afterwards
        double[] ok = {0, 1, 2, 0, 1, 2};
        assertEquals(reference(x, ok, "byol"), layerSum(g, x, ok, DataType.DOUBLE), 1e-10);
    }
}
