package dev.pretext.nn;

import static dev.pretext.nn.DistanceCorrelationLossTest.assertFinite;
import static dev.pretext.nn.DistanceCorrelationLossTest.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

class MvMrLossTest {

    /** The MV-MR loss in plain double precision, from its definition (the class javadoc). */
    static double reference(MvMrLoss loss, double[][] z, double[][] labels) {
        int b = z.length / 2;
        double[][] zo = Arrays.copyOfRange(z, 0, b);
        double[][] za = Arrays.copyOfRange(z, b, 2 * b);
        int d = z[0].length;
        double mse = 0;
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < d; k++) {
                mse += (zo[i][k] - za[i][k]) * (zo[i][k] - za[i][k]);
            }
        }
        mse /= (double) b * d;
        double hinge = hinge(zo, loss.getMargin()) + hinge(za, loss.getMargin());
        double total = loss.getMseWeight() * mse + loss.getVarianceWeight() * hinge
                + loss.getViewWeight() * (1 - DistanceCorrelation.smoothDCor(zo, za));
        int off = 0;
        for (int w : loss.getWidths()) {
            double[][] f = new double[b][];
            for (int i = 0; i < b; i++) {
                f[i] = Arrays.copyOfRange(labels[i], off, off + w);
            }
            total += loss.getRepresentationWeight() * loss.term(DistanceCorrelation.smoothDCor(za, f));
            off += w;
        }
        return total;
    }

    private static double hinge(double[][] v, double margin) {
        int n = v.length;
        int d = v[0].length;
        double sum = 0;
        for (int k = 0; k < d; k++) {
            double mean = 0;
            for (double[] row : v) {
                mean += row[k];
            }
            mean /= n;
            double var = 0;
            for (double[] row : v) {
                var += (row[k] - mean) * (row[k] - mean);
            }
            var /= n - 1;
            sum += Math.max(0, margin - Math.sqrt(var + MvMrLoss.VAR_EPS));
        }
        return sum / d;
    }

    /** Labels [2B, S]: the representations of image i in rows i and B + i. */
    static double[][] labels(Random r, int b, int s) {
        double[][] f = randn(r, b, s);
        double[][] out = new double[2 * b][];
        for (int i = 0; i < b; i++) {
            out[i] = f[i];
            out[b + i] = f[i].clone();
        }
        return out;
    }

    static ComputationGraph lossOnly(int d, MvMrLoss loss, DataType dt) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(d))
                .addLayer("loss", loss, "in").setOutputs("loss").build());
        g.init();
        return g;
    }

    /**
     * The layer's labels for raw representations [2B, S] (row i's image's representations, as
     * {@link #labels}): {@link MvMrLoss#labels} of the first B rows, split by the widths, in dt.
     */
    static INDArray distanceLabels(int[] widths, double[][] raw, DataType dt) {
        int b = raw.length / 2;
        INDArray first = Nd4j.create(Arrays.copyOfRange(raw, 0, b)).castTo(dt);
        INDArray[] reps = new INDArray[widths.length];
        long off = 0;
        for (int k = 0; k < widths.length; k++) {
            reps[k] = first.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + widths[k])).dup();
            off += widths[k];
        }
        return MvMrLoss.labels(b, reps).castTo(dt);
    }

    static MvMrLoss lossOf(ComputationGraph g) {
        return (MvMrLoss) g.getLayer("loss").conf().getLayer();
    }

    /** The graph's score for raw representations [2B, S], through {@link #distanceLabels}. */
    static double score(ComputationGraph g, double[][] z, double[][] raw, DataType dt) {
        return g.score(new DataSet(Nd4j.create(z).castTo(dt), distanceLabels(lossOf(g).getWidths(), raw, dt)), false);
    }

    @Test
    void scoreEqualsTheDoubleReference() {
        Random r = new Random(41);
        for (String sign : new String[] {MvMrLoss.MAXIMISE, MvMrLoss.MINIMISE}) {
            for (int[] widths : new int[][] {{}, {5}, {3, 1, 12}}) {
                MvMrLoss loss = new MvMrLoss(widths, 0.7, 1.3, 0.9, 1.1, 1.0, sign);
                int s = (int) Math.max(1, loss.representationWidth());
                for (int b : new int[] {2, 6, 16}) {
                    double[][] z = randn(r, 2 * b, 4);
                    for (int i = 0; i < b; i++) {              // the views depend on each other
                        for (int k = 0; k < 4; k++) {
                            z[b + i][k] = 0.8 * z[i][k] + 0.3 * z[b + i][k];
                        }
                    }
                    double[][] y = labels(r, b, s);
                    double expected = reference(loss, z, y);
                    assertEquals(expected, score(lossOnly(4, loss, DataType.DOUBLE), z, y, DataType.DOUBLE), 1e-8,
                            sign + " " + Arrays.toString(widths) + " B=" + b);
                }
            }
        }
    }

    @Test
    void closedForms() {
        Random r = new Random(2);
        int b = 8;
        double[][] half = randn(r, b, 3);
        double[][] z = new double[2 * b][];
        for (int i = 0; i < b; i++) {
            z[i] = new double[] {half[i][0] * 5, half[i][1] * 5, half[i][2] * 5};   // std well above the margin
            z[b + i] = z[i].clone();
        }
        // identical views, no representations: MSE 0, hinges 0, 1 - dCor(z, z) = 0
        assertEquals(0.0, score(lossOnly(3, new MvMrLoss(new int[0], 1, 1, 1, 1, 1, MvMrLoss.MAXIMISE),
                DataType.DOUBLE), z, labels(r, b, 1), DataType.DOUBLE), 1e-6);
        // the representation is the view's own embedding: its term is 0 (maximise) or 1 (minimise)
        double[][] own = new double[2 * b][];
        for (int i = 0; i < 2 * b; i++) {
            own[i] = z[i].clone();
        }
        assertEquals(0.0, score(lossOnly(3, new MvMrLoss(new int[] {3}, 1, 1, 1, 1, 1, MvMrLoss.MAXIMISE),
                DataType.DOUBLE), z, own, DataType.DOUBLE), 1e-6);
        assertEquals(1.0, score(lossOnly(3, new MvMrLoss(new int[] {3}, 1, 1, 1, 1, 1, MvMrLoss.MINIMISE),
                DataType.DOUBLE), z, own, DataType.DOUBLE), 1e-6);
    }

    @Test
    void floatAgreesWithDoubleOnAWideRepresentation() {
        Random r = new Random(5);
        int b = 16;
        MvMrLoss loss = new MvMrLoss(new int[] {3000, 7}, 1, 1, 1, 1, 1, MvMrLoss.MAXIMISE);
        double[][] z = randn(r, 2 * b, 8);
        double[][] y = labels(r, b, 3007);
        for (double[] row : y) {
            for (int k = 0; k < 3000; k++) {
                row[k] = 100 + 40 * row[k];                  // pixel-like: large offset and scale
            }
        }
        double expected = reference(loss, z, y);
        assertEquals(expected, score(lossOnly(8, loss, DataType.FLOAT), z, y, DataType.FLOAT), 2e-4);
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (String sign : new String[] {MvMrLoss.MAXIMISE, MvMrLoss.MINIMISE}) {
                ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                        .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                        .graphBuilder()
                        .addInputs("x").setInputTypes(InputType.feedForward(5))
                        .addLayer("proj", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "x")
                        .addLayer("loss", new MvMrLoss(new int[] {2, 6}, 1, 0.5, 1, 1, 1.5, sign), "proj")
                        .setOutputs("loss").build());
                g.init();
                Random r = new Random(8);
                int b = 5;
                double[][] x = randn(r, 2 * b, 5);
                double[][] y = labels(r, b, 8);
                for (int i = 0; i < b; i++) {
                    x[b + i][0] = x[i][0] + 0.1 * x[b + i][0];
                    y[i][1] += x[i][2];
                    y[b + i][1] = y[i][1];
                }
                boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {Nd4j.create(x)})
                        .labels(new INDArray[] {distanceLabels(new int[] {2, 6}, y, DataType.DOUBLE)})
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
                assertTrue(ok, sign + ": gradient check failed");
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferencesOfTheReference() {
        Random r = new Random(13);
        int b = 4;
        int d = 3;
        MvMrLoss loss = new MvMrLoss(new int[] {2, 3}, 0.5, 2, 1, 0.7, 1, MvMrLoss.MAXIMISE);
        double[][] z = randn(r, 2 * b, d);
        double[][] y = labels(r, b, 5);
        ComputationGraph g = lossOnly(d, loss, DataType.DOUBLE);
        Layer layer = g.getLayer("loss");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(Nd4j.create(z), mgr);
        ((IOutputLayer) layer).setLabels(distanceLabels(loss.getWidths(), y, DataType.DOUBLE));
        INDArray grad = layer.backpropGradient(null, mgr).getSecond();
        double h = 1e-6;
        for (int i = 0; i < 2 * b; i++) {
            for (int c = 0; c < d; c++) {
                double keep = z[i][c];
                z[i][c] = keep + h;
                double up = 2 * b * reference(loss, z, y);
                z[i][c] = keep - h;
                double down = 2 * b * reference(loss, z, y);
                z[i][c] = keep;
                assertEquals((up - down) / (2 * h), grad.getDouble(i, c), 1e-5, i + "," + c);
            }
        }
    }

    @Test
    void collapsedBatchGivesFiniteScoreAndGradient() {
        int b = 4;
        double[][] z = new double[2 * b][3];
        for (double[] row : z) {
            row[0] = 0.5;
        }
        Random r = new Random(1);
        double[][] y = labels(r, b, 2);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            MvMrLoss loss = new MvMrLoss(new int[] {2}, 1, 1, 1, 1, 1, MvMrLoss.MAXIMISE);
            ComputationGraph g = lossOnly(3, loss, dt);
            double s = score(g, z, y, dt);
            assertTrue(Double.isFinite(s) && s > 2, dt + " collapsed score " + s);   // hinges ~2, 1 - dCor ~1 each
            Layer layer = g.getLayer("loss");
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            layer.setInput(Nd4j.create(z).castTo(dt), mgr);
            ((IOutputLayer) layer).setLabels(distanceLabels(loss.getWidths(), y, dt));
            assertFinite(layer.backpropGradient(null, mgr).getSecond(), "collapsed " + dt);
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        MvMrLoss loss = new MvMrLoss(new int[] {4, 9}, 0.5, 2, 3, 0.25, 1.5, MvMrLoss.MINIMISE);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).graphBuilder()
                .addInputs("x").setInputTypes(InputType.feedForward(5))
                .addLayer("proj", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "x")
                .addLayer("loss", loss, "proj").setOutputs("loss").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(3);
        DataSet ds = new DataSet(Nd4j.create(randn(r, 8, 5)).castTo(DataType.FLOAT),
                distanceLabels(loss.getWidths(), labels(r, 4, 13), DataType.FLOAT));
        double before = g.score(ds, false);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(before, restored.score(ds, false), 1e-6);
    }

    @Test
    void rejectsBadSettingsAndBatches() {
        assertThrows(IllegalArgumentException.class, () -> new MvMrLoss(new int[] {0}, 1, 1, 1, 1, 1, "maximise"));
        assertThrows(IllegalArgumentException.class, () -> new MvMrLoss(new int[] {2}, -1, 1, 1, 1, 1, "maximise"));
        assertThrows(IllegalArgumentException.class, () -> new MvMrLoss(new int[] {2}, 1, 1, 1, 1, 0, "maximise"));
        IllegalArgumentException sign = assertThrows(IllegalArgumentException.class,
                () -> new MvMrLoss(new int[] {2}, 1, 1, 1, 1, 1, "max"));
        assertTrue(sign.getMessage().contains("maximise"), sign.getMessage());

        ComputationGraph g = lossOnly(3, new MvMrLoss(new int[] {2}, 1, 1, 1, 1, 1, "maximise"), DataType.DOUBLE);
        Random r = new Random(4);
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> score(g, randn(r, 5, 3), randn(r, 5, 2), DataType.DOUBLE));
        assertTrue(odd.getMessage().contains("2B rows"), odd.getMessage());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(randn(r, 6, 3)), Nd4j.create(randn(r, 6, 2))), false));
        assertTrue(width.getMessage().contains("[6, 3]"), width.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MvMrLoss.labels(3, Nd4j.create(randn(r, 4, 2))));
        assertTrue(Double.isFinite(score(g, randn(r, 6, 3), labels(r, 3, 2), DataType.DOUBLE)));
    }
}
