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
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

class DistanceCorrelationLossTest {

    static double[][] randn(Random r, int n, int d) {
        double[][] z = new double[n][d];
        for (double[] row : z) {
            for (int k = 0; k < d; k++) {
                row[k] = r.nextGaussian();
            }
        }
        return z;
    }

    static double[][] concat(double[][] x, double[][] y) {
        double[][] c = new double[x.length][x[0].length + y[0].length];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, c[i], 0, x[i].length);
            System.arraycopy(y[i], 0, c[i], x[i].length, y[i].length);
        }
        return c;
    }

    static double[][] times(double[][] x, double[][] m) {
        double[][] out = new double[x.length][m[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                for (int k = 0; k < m.length; k++) {
                    out[i][j] += x[i][k] * m[k][j];
                }
            }
        }
        return out;
    }

    /** A random orthogonal d x d matrix (Gram-Schmidt of a Gaussian matrix). */
    static double[][] orthogonal(Random r, int d) {
        double[][] q = randn(r, d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                double dot = 0;
                for (int k = 0; k < d; k++) {
                    dot += q[i][k] * q[j][k];
                }
                for (int k = 0; k < d; k++) {
                    q[i][k] -= dot * q[j][k];
                }
            }
            double norm = 0;
            for (int k = 0; k < d; k++) {
                norm += q[i][k] * q[i][k];
            }
            for (int k = 0; k < d; k++) {
                q[i][k] /= Math.sqrt(norm);
            }
        }
        return q;
    }

    static ComputationGraph lossOnly(int width, DistanceCorrelationLoss loss, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(width))
                .addLayer("loss", loss, "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static DataSet dataSet(double[][] in, DataType dt) {
        return new DataSet(Nd4j.create(in).castTo(dt), Nd4j.zeros(dt, in.length, 1));
    }

    /** The layer's raw input gradient (of N * loss) for input {@code in}. */
    static INDArray inputGradient(ComputationGraph g, double[][] in, DataType dt) {
        Layer layer = g.getLayer("loss");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(Nd4j.create(in).castTo(dt), mgr);
        ((IOutputLayer) layer).setLabels(Nd4j.zeros(dt, in.length, 1));
        return layer.backpropGradient(null, mgr).getSecond();
    }

    // ---- (1) the double reference

    @Test
    void referenceIsOneForIdenticalBatchesAndInvariantToSimilarities() {
        Random r = new Random(3);
        double[][] x = randn(r, 40, 5);
        double[][] y = randn(r, 40, 7);
        for (int i = 0; i < 40; i++) {                     // make y depend on x, non-linearly
            y[i][0] += 2 * x[i][0] * x[i][1];
            y[i][3] += Math.sin(3 * x[i][2]);
        }
        assertEquals(1.0, DistanceCorrelation.dCor(x, x), 1e-12);
        assertEquals(1.0, DistanceCorrelation.smoothDCor(x, x), 1e-8);
        double base = DistanceCorrelation.dCor(x, y);
        assertTrue(base > 0.2 && base < 1, "dependent samples: " + base);

        double[][] rotated = times(x, orthogonal(r, 5));
        assertEquals(base, DistanceCorrelation.dCor(rotated, y), 1e-10);
        double[][] moved = new double[40][5];
        for (int i = 0; i < 40; i++) {
            for (int k = 0; k < 5; k++) {
                moved[i][k] = 3.7 * x[i][k] + (k - 2) * 10.0;
            }
        }
        assertEquals(base, DistanceCorrelation.dCor(moved, y), 1e-10);
        assertEquals(1.0, DistanceCorrelation.dCor(x, moved), 1e-10);
        assertEquals(base, DistanceCorrelation.smoothDCor(moved, times(y, orthogonal(r, 7))), 1e-5);
        assertEquals(base, DistanceCorrelation.smoothDCor(x, y), 1e-5);   // the eps convention's bias, ~2e-6
        // dCov^2 scales with the product of the scales
        assertEquals(3.7 * DistanceCorrelation.dCov2(x, y), DistanceCorrelation.dCov2(moved, y), 1e-10);
    }

    @Test
    void referenceIsNearZeroForIndependentSamplesAndInUnitInterval() {
        Random r = new Random(11);
        double[][] x = randn(r, 200, 1);
        double[][] y = randn(r, 200, 2);                 // p != q
        double d = DistanceCorrelation.dCor(x, y);
        assertTrue(d >= 0 && d < 0.2, "independent samples, N = 200, p = 1, q = 2: " + d);
        // the V-statistic's upward bias grows with the widths and falls as 1/sqrt(N): about 0.3 for
        // p = 3, q = 7 at N = 200, half that at N = 800
        double d200 = DistanceCorrelation.dCor(randn(r, 200, 3), randn(r, 200, 7));
        double d800 = DistanceCorrelation.dCor(randn(r, 800, 3), randn(r, 800, 7));
        assertTrue(d200 < 0.35 && d800 < 0.2 && d800 < d200, "independent, p = 3, q = 7: " + d200 + ", " + d800);
        assertTrue(DistanceCorrelation.dCov2(x, y) >= 0);
        for (int t = 0; t < 20; t++) {
            int n = 2 + r.nextInt(20);
            double[][] a = randn(r, n, 1 + r.nextInt(4));
            double[][] b = randn(r, n, 1 + r.nextInt(6));
            double v = DistanceCorrelation.dCor(a, b);
            assertTrue(v >= 0 && v <= 1 + 1e-12, "dCor in [0, 1]: " + v);
            assertEquals(v, DistanceCorrelation.smoothDCor(a, b), 1e-4);
        }
        // a constant batch: no distance variance, dCor 0 (textbook) and sqrt(COR_EPS) (smoothed)
        double[][] constant = new double[10][2];
        double[][] other = randn(r, 10, 2);
        assertEquals(0.0, DistanceCorrelation.dCor(constant, other), 0.0);
        assertEquals(Math.sqrt(DistanceCorrelation.COR_EPS), DistanceCorrelation.smoothDCor(constant, other), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> DistanceCorrelation.dCor(randn(r, 3, 2), randn(r, 4, 2)));
    }

    // ---- (2) the layer's score

    @Test
    void scoreEqualsTheReferenceForSeveralShapesAndBothSigns() {
        Random r = new Random(17);
        for (String sign : new String[] {DistanceCorrelationLoss.MAXIMISE, DistanceCorrelationLoss.MINIMISE}) {
            for (int[] pq : new int[][] {{1, 1}, {3, 7}, {8, 2}}) {
                int p = pq[0];
                int q = pq[1];
                DistanceCorrelationLoss loss = new DistanceCorrelationLoss(p, sign, false, 0.7);
                ComputationGraph g = lossOnly(p + q, loss, DataType.DOUBLE);
                for (int n : new int[] {2, 5, 16}) {
                    double[][] x = randn(r, n, p);
                    double[][] y = randn(r, n, q);
                    if (n == 16) {                            // some dependence
                        for (int i = 0; i < n; i++) {
                            y[i][0] += x[i][0] * x[i][0];
                        }
                    }
                    double expected = loss.loss(DistanceCorrelation.smoothDCor(x, y));
                    double got = g.score(dataSet(concat(x, y), DataType.DOUBLE), false);
                    assertEquals(expected, got, 1e-8, sign + " p=" + p + " q=" + q + " n=" + n);
                }
            }
        }
        // the closed forms: y = x gives dCor 1
        double[][] x = randn(r, 6, 3);
        assertEquals(0.0, lossOnly(6, new DistanceCorrelationLoss(3), DataType.DOUBLE)
                .score(dataSet(concat(x, x), DataType.DOUBLE), false), 1e-7);
        assertEquals(1.0, lossOnly(6, new DistanceCorrelationLoss(3, "Minimise"), DataType.DOUBLE)
                .score(dataSet(concat(x, x), DataType.DOUBLE), false), 1e-7);
    }

    @Test
    void floatAgreesWithDouble() {
        Random r = new Random(31);
        double[][] in = randn(r, 32, 10);
        DistanceCorrelationLoss loss = new DistanceCorrelationLoss(4);
        double expected = loss.loss(DistanceCorrelation.smoothDCor(
                java.util.Arrays.stream(in).map(row -> java.util.Arrays.copyOfRange(row, 0, 4)).toArray(double[][]::new),
                java.util.Arrays.stream(in).map(row -> java.util.Arrays.copyOfRange(row, 4, 10)).toArray(double[][]::new)));
        assertEquals(expected, lossOnly(10, loss, DataType.FLOAT).score(dataSet(in, DataType.FLOAT), false), 1e-4);
    }

    // ---- (3) gradient check

    @Test
    void gradientCheckInDoubleWithTwoMergedBranches() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (String sign : new String[] {DistanceCorrelationLoss.MAXIMISE, DistanceCorrelationLoss.MINIMISE}) {
                ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                        .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                        .graphBuilder()
                        .addInputs("a", "b").setInputTypes(InputType.feedForward(4), InputType.feedForward(6))
                        .addLayer("left", new DenseLayer.Builder().nOut(3).activation(Activation.TANH).build(), "a")
                        .addLayer("right", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(),
                                "b")
                        .addVertex("xy", new MergeVertex(), "left", "right")
                        .addLayer("loss", new DistanceCorrelationLoss(3, sign), "xy")
                        .setOutputs("loss").build();
                ComputationGraph g = new ComputationGraph(conf);
                g.init();
                Random r = new Random(5);
                double[][] a = randn(r, 8, 4);
                double[][] b = randn(r, 8, 6);
                for (int i = 0; i < 8; i++) {
                    b[i][0] += a[i][0];
                }
                boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {Nd4j.create(a), Nd4j.create(b)})
                        .labels(new INDArray[] {Nd4j.zeros(DataType.DOUBLE, 8, 1)})
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
                assertTrue(ok, sign + ": gradient check failed");
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferencesOfTheReference() {
        Random r = new Random(23);
        int n = 6;
        int p = 2;
        int q = 3;
        double[][] in = randn(r, n, p + q);
        DistanceCorrelationLoss loss = new DistanceCorrelationLoss(p);
        INDArray grad = inputGradient(lossOnly(p + q, loss, DataType.DOUBLE), in, DataType.DOUBLE);
        double h = 1e-6;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < p + q; c++) {
                double keep = in[i][c];
                in[i][c] = keep + h;
                double up = n * referenceLoss(loss, in, p);
                in[i][c] = keep - h;
                double down = n * referenceLoss(loss, in, p);
                in[i][c] = keep;
                assertEquals((up - down) / (2 * h), grad.getDouble(i, c), 1e-6, i + "," + c);
            }
        }
    }

    static double referenceLoss(DistanceCorrelationLoss loss, double[][] in, int p) {
        double[][] x = new double[in.length][];
        double[][] y = new double[in.length][];
        for (int i = 0; i < in.length; i++) {
            x[i] = java.util.Arrays.copyOfRange(in[i], 0, p);
            y[i] = java.util.Arrays.copyOfRange(in[i], p, in[i].length);
        }
        return loss.loss(DistanceCorrelation.smoothDCor(x, y));
    }

    // ---- (4) coinciding rows

    @Test
    void coincidingRowsGiveAFiniteGradientInFloatAndDouble() {
        Random r = new Random(7);
        double[][] in = randn(r, 8, 7);
        in[1] = in[0].clone();
        double[][] collapsed = new double[5][4];              // every row identical: a collapsed batch
        for (double[] row : collapsed) {
            row[0] = 1.5;
            row[3] = -2;
        }
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (String sign : new String[] {DistanceCorrelationLoss.MAXIMISE, DistanceCorrelationLoss.MINIMISE}) {
                INDArray g = inputGradient(lossOnly(7, new DistanceCorrelationLoss(3, sign), dt), in, dt);
                assertFinite(g, dt + " " + sign);
                assertTrue(g.norm2Number().doubleValue() > 0, dt + " " + sign);
                INDArray gc = inputGradient(lossOnly(4, new DistanceCorrelationLoss(2, sign), dt), collapsed, dt);
                assertFinite(gc, "collapsed " + dt + " " + sign);
                double score = lossOnly(4, new DistanceCorrelationLoss(2, sign), dt)
                        .score(dataSet(collapsed, dt), false);
                assertTrue(Double.isFinite(score), "collapsed score " + dt + " " + sign);
            }
        }
    }

    static void assertFinite(INDArray g, String what) {
        for (double v : g.castTo(DataType.DOUBLE).dup().reshape(g.length()).toDoubleVector()) {
            assertTrue(Double.isFinite(v), what + ": " + g);
        }
    }

    // ---- (5) stop-gradient on y

    @Test
    void stopGradientRightZeroesTheRightHalfOnly() {
        Random r = new Random(29);
        int p = 3;
        int q = 4;
        double[][] in = randn(r, 7, p + q);
        DistanceCorrelationLoss stopped = new DistanceCorrelationLoss(p, DistanceCorrelationLoss.MAXIMISE, true, 1);
        DistanceCorrelationLoss free = new DistanceCorrelationLoss(p);
        INDArray gs = inputGradient(lossOnly(p + q, stopped, DataType.DOUBLE), in, DataType.DOUBLE);
        INDArray gf = inputGradient(lossOnly(p + q, free, DataType.DOUBLE), in, DataType.DOUBLE);
        for (int i = 0; i < 7; i++) {
            for (int c = 0; c < p + q; c++) {
                if (c >= p) {
                    assertEquals(0.0, gs.getDouble(i, c), 0.0, "y half must get no gradient: " + i + "," + c);
                    assertTrue(gf.getDouble(i, c) != 0.0, "without stop-gradient y gets a gradient");
                } else {
                    assertEquals(gf.getDouble(i, c), gs.getDouble(i, c), 1e-12, "x half unchanged");
                }
            }
        }
        assertEquals(lossOnly(p + q, free, DataType.DOUBLE).score(dataSet(in, DataType.DOUBLE), false),
                lossOnly(p + q, stopped, DataType.DOUBLE).score(dataSet(in, DataType.DOUBLE), false), 1e-12);
    }

    // ---- (6) serialisation

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("a", "b").setInputTypes(InputType.feedForward(5), InputType.feedForward(3))
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "a")
                .addVertex("xy", new MergeVertex(), "dense", "b")
                .addLayer("loss", new DistanceCorrelationLoss(4, DistanceCorrelationLoss.MINIMISE, true, 0.25), "xy")
                .setOutputs("loss").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        DistanceCorrelationLoss layer = (DistanceCorrelationLoss) ((LayerVertex) back.getVertices().get("loss"))
                .getLayerConf().getLayer();
        assertEquals(4, layer.getLeftWidth());
        assertEquals(DistanceCorrelationLoss.MINIMISE, layer.getSign());
        assertTrue(layer.isStopGradientRight());
        assertEquals(0.25, layer.getWeight(), 0.0);
        assertFalse(conf.equals(ComputationGraphConfiguration.fromJson(conf.toJson().replace("minimise", "maximise"))));

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(9);
        INDArray[] inputs = {Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT),
            Nd4j.create(randn(r, 6, 3)).castTo(DataType.FLOAT)};
        org.nd4j.linalg.dataset.MultiDataSet ds = new org.nd4j.linalg.dataset.MultiDataSet(inputs,
                new INDArray[] {Nd4j.zeros(DataType.FLOAT, 6, 1)});
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), restored.params());
        assertEquals(before, restored.score(ds, false), 1e-6);
        assertTrue(Double.isFinite(before) && before > 0 && before <= 0.25 + 1e-6, "score " + before);
    }

    // ---- (7) bad settings

    @Test
    void rejectsBadSettings() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new DistanceCorrelationLoss(0));
        assertTrue(zero.getMessage().contains("leftWidth"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DistanceCorrelationLoss(-2));
        IllegalArgumentException sign = assertThrows(IllegalArgumentException.class,
                () -> new DistanceCorrelationLoss(2, "maximize-ish"));
        assertTrue(sign.getMessage().contains("maximise") && sign.getMessage().contains("minimise"),
                sign.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DistanceCorrelationLoss(2, null));
        assertThrows(IllegalArgumentException.class, () -> new DistanceCorrelationLoss(2).setWeight(Double.NaN));
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> lossOnly(4, new DistanceCorrelationLoss(4), DataType.DOUBLE));
        assertTrue(wide.getMessage().contains("leftWidth p = 4"), wide.getMessage());
        assertThrows(IllegalArgumentException.class, () -> lossOnly(3, new DistanceCorrelationLoss(5), DataType.DOUBLE));
        assertThrows(IllegalArgumentException.class, () -> lossOnly(3, new DistanceCorrelationLoss(), DataType.DOUBLE));

        ComputationGraph g = lossOnly(4, new DistanceCorrelationLoss(2), DataType.DOUBLE);
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> g.score(dataSet(new double[][] {{1, 2, 3, 4}}, DataType.DOUBLE), false));
        assertTrue(single.getMessage().contains("N >= 2"), single.getMessage());
        Random r = new Random(2);
        double[][] in = randn(r, 5, 4);
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(in), Nd4j.zeros(DataType.DOUBLE, 4, 1)), false));
        assertTrue(rows.getMessage().contains("labels"), rows.getMessage());
        // still scores a correct batch afterwards
        assertTrue(Double.isFinite(g.score(dataSet(in, DataType.DOUBLE), false)));
    }
}
