package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
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
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

class MsbRegLossTest {

    static double[] unit(double[] v) {
        return MocoQueueLossTest.unit(v);
    }

    static double dot(double[] a, double[] b) {
        return MocoQueueLossTest.dot(a, b);
    }

    /** Singular values by one-sided Jacobi on the columns of a (rows x cols), plain double. */
    static double[] singularValues(double[][] a) {
        int rows = a.length;
        int cols = a[0].length;
        double[][] m = new double[cols][rows]; // columns as vectors
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[j][i] = a[i][j];
            }
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < cols; p++) {
                for (int q = p + 1; q < cols; q++) {
                    double alpha = dot(m[p], m[p]);
                    double beta = dot(m[q], m[q]);
                    double gamma = dot(m[p], m[q]);
                    if (Math.abs(gamma) < 1e-300) {
                        continue;
                    }
                    off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta + 1e-300));
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double cs = 1 / Math.sqrt(1 + t * t);
                    double sn = cs * t;
                    for (int i = 0; i < rows; i++) {
                        double x = m[p][i];
                        double y = m[q][i];
                        m[p][i] = cs * x - sn * y;
                        m[q][i] = sn * x + cs * y;
                    }
                }
            }
            if (off < 1e-15) {
                break;
            }
        }
        double[] s = new double[cols];
        for (int j = 0; j < cols; j++) {
            s[j] = Math.sqrt(dot(m[j], m[j]));
        }
        Arrays.sort(s);
        return s;
    }

    /** Plain double reference of the singular-value loss of an [n, d] matrix of online rows. */
    static double svReference(double[][] p) {
        int n = p.length;
        int d = p[0].length;
        double[][] u = new double[n][];
        for (int r = 0; r < n; r++) {
            u[r] = unit(p[r]);
        }
        double[] mean = new double[d];
        for (double[] row : u) {
            for (int k = 0; k < d; k++) {
                mean[k] += row[k] / n;
            }
        }
        double[][] m = new double[n][d];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < d; k++) {
                m[r][k] = u[r][k] - mean[k];
            }
        }
        double[] s = singularValues(n >= d ? m : transpose(m));
        double s1 = 0;
        double s2 = 0;
        for (double v : s) {
            s1 += v;
            s2 += v * v;
        }
        return 2 - 2 * s1 / (Math.sqrt(Math.min(n - 1, d)) * Math.sqrt(s2 + 1e-12));
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** Centroid term summed over images (plain double). */
    static double centroidReference(double[][] in, int k, int d) {
        int n = in.length;
        int b = n / k;
        double total = 0;
        for (int i = 0; i < b; i++) {
            double[] co = new double[d];
            double[] ct = new double[d];
            for (int v = 0; v < k; v++) {
                double[] up = unit(Arrays.copyOfRange(in[v * b + i], 0, d));
                double[] uz = unit(Arrays.copyOfRange(in[v * b + i], d, 2 * d));
                for (int j = 0; j < d; j++) {
                    co[j] += up[j] / k;
                    ct[j] += uz[j] / k;
                }
            }
            total += 2 - 2 * dot(unit(co), unit(ct));
        }
        return total;
    }

    /** The layer's total (sum over rows) in plain double, with the noise of the given step. */
    static double reference(double[][] in, int k, double ls, double lb, long seed, long step) {
        int n = in.length;
        int d = in[0].length / 2;
        double[][] p = new double[n][];
        for (int r = 0; r < n; r++) {
            p[r] = Arrays.copyOfRange(in[r], 0, d);
        }
        double[][] g = MsbRegLoss.noise(seed, step, n, d);
        double brown = 0;
        for (int r = 0; r < n; r++) {
            brown += dot(unit(p[r]), g[r]);
        }
        return k * centroidReference(in, k, d) + n * ls * svReference(p) + lb * brown;
    }

    static double[][] randn(Random r, int n, int d) {
        return MocoQueueLossTest.randn(r, n, d);
    }

    static INDArray ids(int k, int b) {
        double[] ids = new double[k * b];
        for (int i = 0; i < k * b; i++) {
            ids[i] = i % b;
        }
        return Nd4j.create(ids, new long[] {k * b, 1});
    }

    static ComputationGraph lossOnly(MsbRegLoss loss, int d, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).seed(3).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(2L * d))
                .addLayer("loss", loss, "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static ComputationGraph twoTowers(int f, int d, MsbRegLoss loss, DataType dt, boolean adamL2) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().dataType(dt).seed(12345)
                .weightInit(WeightInit.XAVIER);
        if (adamL2) {
            b.updater(new Adam(1e-2)).l2(1e-2);
        } else {
            b.updater(new NoOp());
        }
        ComputationGraphConfiguration conf = b.graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(f))
                .addLayer("p", new DenseLayer.Builder().nOut(d).activation(Activation.TANH).build(), "in")
                .addLayer("z", new DenseLayer.Builder().nOut(d).activation(Activation.TANH).build(), "in")
                .addVertex("pz", new MergeVertex(), "p", "z")
                .addLayer("loss", loss, "pz")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void eachTermMatchesAPlainDoubleReference() {
        Random r = new Random(7);
        int d = 4;
        for (int k : new int[] {2, 3, 4}) {
            for (int b : new int[] {2, 5}) {
                double[][] in = randn(r, k * b, 2 * d);
                // each term alone, then all together
                double[][] weights = {{0, 0}, {1, 0}, {0, 1}, {0.004, 0.5}};
                for (double[] w : weights) {
                    ComputationGraph g = lossOnly(new MsbRegLoss(k, w[0], w[1], 42), d, DataType.DOUBLE);
                    double expected = reference(in, k, w[0], w[1], 42, 0);
                    double got = g.score(new DataSet(Nd4j.create(in), ids(k, b)), false) * k * b;
                    assertEquals(expected, got, 1e-10 * Math.max(1, Math.abs(expected)),
                            "k=" + k + " b=" + b + " w=" + Arrays.toString(w));
                }
            }
        }
        // K = 2, identical online and target rows and no regularisers: zero loss
        double[][] same = randn(r, 6, 2 * d);
        for (double[] row : same) {
            System.arraycopy(row, 0, row, d, d);
        }
        for (int i = 0; i < 3; i++) {
            same[3 + i] = same[i].clone();
        }
        ComputationGraph g = lossOnly(new MsbRegLoss(2, 0, 0, 1), d, DataType.DOUBLE);
        assertEquals(0.0, g.score(new DataSet(Nd4j.create(same), ids(2, 3)), false), 1e-10);
    }

    @Test
    void singularValueLossIsZeroForUniformSpectrumAndItsSvdIsRight() {
        // rows +-e_j: centred, row-normalised matrix has equal singular values
        double[][] p = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
        assertEquals(0.0, (double) MsbRegLoss.singularValueLoss(Nd4j.create(p), false)[0], 1e-12);
        Random r = new Random(3);
        double[][] m = randn(r, 7, 4);
        double[] s = MsbRegLoss.svd(Nd4j.create(m))[0].toDoubleVector();
        Arrays.sort(s);
        double[] expected = singularValues(m);
        for (int i = 0; i < s.length; i++) {
            assertEquals(expected[i], s[i], 1e-12);
        }
    }

    @Test
    void singularValueGradientMatchesCentralDifferences() {
        Random r = new Random(13);
        for (int[] shape : new int[][] {{9, 4}, {12, 5}, {4, 6}}) {
            double[][] p = randn(r, shape[0], shape[1]);
            INDArray gp = (INDArray) MsbRegLoss.singularValueLoss(Nd4j.create(p), true)[1];
            double h = 1e-6;
            for (int i = 0; i < shape[0]; i++) {
                for (int j = 0; j < shape[1]; j++) {
                    double keep = p[i][j];
                    p[i][j] = keep + h;
                    double up = svReference(p);
                    p[i][j] = keep - h;
                    double down = svReference(p);
                    p[i][j] = keep;
                    double numeric = (up - down) / (2 * h);
                    assertEquals(numeric, gp.getDouble(i, j), 1e-7 + 1e-5 * Math.abs(numeric),
                            Arrays.toString(shape) + " at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void gradientCheckInDoubleWithFrozenNoise() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            // large weights so that every term matters in the check
            ComputationGraph g = twoTowers(5, 4, new MsbRegLoss(3, 0.5, 0.5, 77), DataType.DOUBLE, false);
            HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
            layer.setStateFrozen(true);
            Random r = new Random(5);
            INDArray x = Nd4j.create(randn(r, 9, 5));
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {ids(3, 3)})
                    .excludeParams(Set.of("z_W", "z_b")) // the target half is a constant (stop-gradient)
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
            assertTrue(ok, "gradient check failed");
            assertEquals(0.0, layer.getParam(MsbRegLoss.STEP).getDouble(0));
            g.setInputs(x);
            g.setLabels(ids(3, 3));
            g.computeGradientAndScore();
            assertEquals(0.0, g.gradient().getGradientFor("z_W").amaxNumber().doubleValue());
            assertEquals(0.0, g.gradient().getGradientFor("loss_" + MsbRegLoss.STEP).amaxNumber().doubleValue());
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void stepAdvancesOnlyInTrainingAndTheNoiseChangesWithIt() {
        ComputationGraph g = twoTowers(5, 4, new MsbRegLoss(2, 42), DataType.DOUBLE, true); // Adam + L2
        HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
        Random r = new Random(1);
        DataSet ds = new DataSet(Nd4j.create(randn(r, 8, 5)), ids(2, 4));
        for (int step = 0; step < 3; step++) {
            double before = g.score(ds, false);
            g.score(ds, true);
            g.output(ds.getFeatures());
            assertEquals(step, layer.getParam(MsbRegLoss.STEP).getDouble(0));
            g.fit(ds);
            assertEquals(before, g.score(), 1e-12); // the training score used the old step's noise
            assertEquals(step + 1, layer.getParam(MsbRegLoss.STEP).getDouble(0));
        }
        assertNotEquals(MsbRegLoss.noise(42, 0, 8, 4)[0][0], MsbRegLoss.noise(42, 1, 8, 4)[0][0]);
        assertEquals(MsbRegLoss.noise(42, 1, 8, 4)[3][2], MsbRegLoss.noise(42, 1, 8, 4)[3][2]);
    }

    @Test
    void jsonAndModelSerializerRoundTripAndBitExactResume(@TempDir Path dir) throws Exception {
        ComputationGraph g = twoTowers(5, 4, new MsbRegLoss(2, 0.004, 0.5, 99), DataType.FLOAT, true);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        MsbRegLoss conf = (MsbRegLoss) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices()
                .get("loss")).getLayerConf().getLayer();
        assertEquals(2, conf.getViews());
        assertEquals(0.004, conf.getLambdaS());
        assertEquals(0.5, conf.getLambdaB());
        assertEquals(99, conf.getSeed());
        Random r = new Random(2);
        for (int i = 0; i < 2; i++) {
            g.fit(new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT), ids(2, 3).castTo(DataType.FLOAT)));
        }
        File file = dir.resolve("msbreg.zip").toFile();
        ModelSerializer.writeModel(g, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(2.0, restored.getParam("loss_" + MsbRegLoss.STEP).getDouble(0));
        assertEquals(g.params(), restored.params());
        DataSet next = new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT),
                ids(2, 3).castTo(DataType.FLOAT));
        g.fit(next);
        restored.fit(next);
        assertEquals(0.0, g.params().sub(restored.params()).amaxNumber().doubleValue());
    }

    @Test
    void badViewsAndShapesAreRejectedClearly() {
        assertThrows(IllegalArgumentException.class, () -> new MsbRegLoss(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new MsbRegLoss(2, -1, 0.5, 0));
        ComputationGraph g = lossOnly(new MsbRegLoss(3, 0), 4, DataType.DOUBLE);
        Random r = new Random(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(randn(r, 8, 8)), ids(2, 4)), false));
        assertTrue(e.getMessage().contains("K = 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(randn(r, 6, 8)), ids(2, 3)), false));
        assertTrue(e.getMessage().contains("row 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("loss", new MsbRegLoss(2, 0), "in").setOutputs("loss").build());
    }
}
