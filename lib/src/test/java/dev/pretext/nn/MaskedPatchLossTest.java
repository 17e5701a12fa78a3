package dev.pretext.nn;

import static dev.pretext.nn.DistanceCorrelationLossTest.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

class MaskedPatchLossTest {

    /** L_mp in plain double precision, from the paper's formula (the class javadoc). */
    static double reference(double[][] x, double[][] mask, int m, int k, double alpha) {
        return reference(x, mask, m, k, alpha, 1);
    }

    /** With D versions per source (consecutive rows): the same position of the same source is a positive. */
    static double reference(double[][] x, double[][] mask, int m, int k, double alpha, int versions) {
        int b = x.length;
        int rows = b * m;
        double[][] pred = new double[rows][k];
        double[][] target = new double[rows][k];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < m; j++) {
                for (int c = 0; c < k; c++) {
                    pred[i * m + j][c] = x[i][j * k + c];
                    target[i * m + j][c] = x[i][m * k + j * k + c];
                }
            }
        }
        double sum = 0;
        double masked = 0;
        for (int r = 0; r < rows; r++) {
            if (mask[r / m][r % m] == 0) {
                continue;
            }
            masked++;
            for (int c = 0; c < rows; c++) {
                double s = (cos(pred[r], target[c]) + 1) / 2;
                boolean positive = r / (m * versions) == c / (m * versions) && r % m == c % m;
                sum += positive ? Math.log(s + MaskedPatchLoss.LOG_EPS) : Math.log(1 - s + MaskedPatchLoss.LOG_EPS);
            }
        }
        return -alpha * sum / ((double) rows * masked);
    }

    private static double cos(double[] a, double[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / (Math.sqrt(aa + MaskedPatchLoss.NORM_EPS) * Math.sqrt(bb + MaskedPatchLoss.NORM_EPS));
    }

    /** Q of the M patches of each of B images masked, at random positions. */
    static double[][] mask(Random r, int b, int m, int q) {
        double[][] out = new double[b][m];
        for (double[] row : out) {
            int set = 0;
            while (set < q) {
                int j = r.nextInt(m);
                if (row[j] == 0) {
                    row[j] = 1;
                    set++;
                }
            }
        }
        return out;
    }

    static ComputationGraph lossOnly(MaskedPatchLoss loss, DataType dt) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(2L * loss.getPatches() * loss.getWidth()))
                .addLayer("loss", loss, "in").setOutputs("loss").build());
        g.init();
        return g;
    }

    static double score(ComputationGraph g, double[][] x, double[][] mask, DataType dt) {
        return g.score(new DataSet(Nd4j.create(x).castTo(dt), Nd4j.create(mask).castTo(dt)), false);
    }

    @Test
    void scoreEqualsTheDoubleReference() {
        Random r = new Random(3);
        for (int[] bmkq : new int[][] {{2, 4, 3, 1}, {3, 16, 5, 4}, {5, 9, 2, 2}}) {
            int b = bmkq[0];
            int m = bmkq[1];
            int k = bmkq[2];
            MaskedPatchLoss loss = new MaskedPatchLoss(m, k, 8);
            double[][] x = randn(r, b, 2 * m * k);
            double[][] mask = mask(r, b, m, bmkq[3]);
            assertEquals(reference(x, mask, m, k, 8), score(lossOnly(loss, DataType.DOUBLE), x, mask, DataType.DOUBLE),
                    1e-9, "B=" + b + " M=" + m + " K=" + k);
            assertEquals(reference(x, mask, m, k, 8), score(lossOnly(loss, DataType.FLOAT), x, mask, DataType.FLOAT),
                    1e-3 * Math.abs(reference(x, mask, m, k, 8)));
        }
    }

    @Test
    void transformedVersionsAddTheSamePositionAsPositives() {
        Random r = new Random(8);
        for (int[] bmkd : new int[][] {{4, 4, 3, 2}, {6, 5, 2, 3}, {4, 1, 3, 4}}) {
            int b = bmkd[0];
            int m = bmkd[1];
            int k = bmkd[2];
            int d = bmkd[3];
            MaskedPatchLoss loss = new MaskedPatchLoss(m, k, 8).withVersions(d);
            double[][] x = randn(r, b, 2 * m * k);
            double[][] mask = mask(r, b, m, 1);
            double expected = reference(x, mask, m, k, 8, d);
            assertTrue(Math.abs(expected - reference(x, mask, m, k, 8, 1)) > 1e-6, "D changes the loss");
            assertEquals(expected, score(lossOnly(loss, DataType.DOUBLE), x, mask, DataType.DOUBLE), 1e-9,
                    "B=" + b + " M=" + m + " D=" + d);
        }
        assertThrows(IllegalArgumentException.class, () -> score(lossOnly(new MaskedPatchLoss(2, 2, 1).withVersions(2),
                DataType.DOUBLE), randn(new Random(1), 3, 8), new double[][] {{1, 0}, {0, 1}, {1, 0}}, DataType.DOUBLE));
    }

    @Test
    void perfectPredictionsOfOrthogonalPatchesScoreNearZero() {
        // Every target orthogonal to every other (one-hot), predictions equal to their targets: |P^, P| = 1,
        // |P^, P_other| = 1/2 -> the loss is -alpha * (B M - 1) log(1/2) / (B M): the floor of this loss.
        int b = 2;
        int m = 2;
        int k = 4;
        double[][] x = new double[b][2 * m * k];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < m; j++) {
                int hot = i * m + j;
                x[i][j * k + hot] = 1;
                x[i][m * k + j * k + hot] = 1;
            }
        }
        double[][] mask = {{1, 0}, {0, 1}};
        double expected = -1.0 * (3 * Math.log(0.5 + MaskedPatchLoss.LOG_EPS) + Math.log(1 + MaskedPatchLoss.LOG_EPS)) / 4;
        assertEquals(expected, score(lossOnly(new MaskedPatchLoss(m, k, 1), DataType.DOUBLE), x, mask,
                DataType.DOUBLE), 1e-9);
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            int m = 3;
            int k = 2;
            for (int versions : new int[] {1, 3}) {
            ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                    .dataType(DataType.DOUBLE).seed(7).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                    .graphBuilder()
                    .addInputs("x").setInputTypes(InputType.feedForward(5))
                    .addLayer("proj", new DenseLayer.Builder().nOut(2L * m * k).activation(Activation.TANH).build(),
                            "x")
                    .addLayer("loss", new MaskedPatchLoss(m, k, 8).withVersions(versions), "proj")
                    .setOutputs("loss").build());
            g.init();
            Random r = new Random(9);
            double[][] x = randn(r, 3, 5);
            double[][] mask = mask(r, 3, m, 1);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {Nd4j.create(x)}).labels(new INDArray[] {Nd4j.create(mask)})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "D = " + versions);
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferencesOfTheReference() {
        Random r = new Random(21);
        int b = 2;
        int m = 4;
        int k = 3;
        MaskedPatchLoss loss = new MaskedPatchLoss(m, k, 8);
        double[][] x = randn(r, b, 2 * m * k);
        double[][] mask = mask(r, b, m, 2);
        ComputationGraph g = lossOnly(loss, DataType.DOUBLE);
        Layer layer = g.getLayer("loss");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(Nd4j.create(x), mgr);
        ((IOutputLayer) layer).setLabels(Nd4j.create(mask));
        INDArray grad = layer.backpropGradient(null, mgr).getSecond();
        double h = 1e-6;
        for (int i = 0; i < b; i++) {
            for (int c = 0; c < 2 * m * k; c++) {
                double keep = x[i][c];
                x[i][c] = keep + h;
                double up = b * reference(x, mask, m, k, 8);
                x[i][c] = keep - h;
                double down = b * reference(x, mask, m, k, 8);
                x[i][c] = keep;
                assertEquals((up - down) / (2 * h), grad.getDouble(i, c), 1e-5, i + "," + c);
            }
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        MaskedPatchLoss loss = new MaskedPatchLoss(4, 3, 2.5);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(1)
                .graphBuilder().addInputs("x").setInputTypes(InputType.feedForward(5))
                .addLayer("proj", new DenseLayer.Builder().nOut(24).build(), "x")
                .addLayer("loss", loss, "proj").setOutputs("loss").build();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(1);
        DataSet ds = new DataSet(Nd4j.create(randn(r, 3, 5)).castTo(DataType.FLOAT),
                Nd4j.create(mask(r, 3, 4, 1)).castTo(DataType.FLOAT));
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        assertEquals(before, ModelSerializer.restoreComputationGraph(f, true).score(ds, false), 1e-6);
    }

    @Test
    void rejectsBadSettingsAndBatches() {
        assertThrows(IllegalArgumentException.class, () -> new MaskedPatchLoss(0, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new MaskedPatchLoss(4, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new MaskedPatchLoss(4, 3, -1));
        ComputationGraph g = lossOnly(new MaskedPatchLoss(2, 2, 1), DataType.DOUBLE);
        Random r = new Random(2);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 3, 8), new double[3][2], DataType.DOUBLE));
        assertTrue(none.getMessage().contains("no patch"), none.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 3, 8), new double[][] {{1, 0, 0}, {0, 1, 0}, {1, 0, 0}}, DataType.DOUBLE));
        assertTrue(shape.getMessage().contains("[3, 2]"), shape.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 2, 8), new double[][] {{2, 0}, {0, 1}}, DataType.DOUBLE));
    }
}
