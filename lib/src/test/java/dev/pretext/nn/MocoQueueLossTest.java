package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
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

class MocoQueueLossTest {

    static double[] unit(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        double n = Math.sqrt(s + 1e-12);
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / n;
        }
        return u;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Plain double MoCo loss, summed over rows; input rows [q | k], row k*B+i, queue rows re-normalised. */
    static double reference(double[][] in, double[][] queue, int d, double t) {
        int n = in.length;
        int b = n / 2;
        double total = 0;
        for (int r = 0; r < n; r++) {
            double[] q = unit(java.util.Arrays.copyOfRange(in[r], 0, d));
            double[] k = unit(java.util.Arrays.copyOfRange(in[(r + b) % n], d, 2 * d));
            double[] logits = new double[queue.length + 1];
            logits[0] = dot(q, k) / t;
            for (int j = 0; j < queue.length; j++) {
                logits[j + 1] = dot(q, unit(queue[j])) / t;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double l : logits) {
                max = Math.max(max, l);
            }
            double s = 0;
            for (double l : logits) {
                s += Math.exp(l - max);
            }
            total += max + Math.log(s) - logits[0];
        }
        return total;
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

    static INDArray ids(int b) {
        double[] ids = new double[2 * b];
        for (int i = 0; i < 2 * b; i++) {
            ids[i] = i % b;
        }
        return Nd4j.create(ids, new long[] {2 * b, 1});
    }

    static ComputationGraph lossOnly(MocoQueueLoss loss, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).seed(3).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(2L * loss.getDim()))
                .addLayer("loss", loss, "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** features -> dense q, dense k -> [q | k] -> MoCo loss. */
    static ComputationGraph twoTowers(int f, int d, int queue, DataType dt, boolean adamL2) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().dataType(dt).seed(12345)
                .weightInit(WeightInit.XAVIER);
        if (adamL2) {
            b.updater(new Adam(1e-2)).l2(1e-2);
        } else {
            b.updater(new NoOp());
        }
        ComputationGraphConfiguration conf = b.graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(f))
                .addLayer("q", new DenseLayer.Builder().nOut(d).activation(Activation.TANH).build(), "in")
                .addLayer("k", new DenseLayer.Builder().nOut(d).activation(Activation.TANH).build(), "in")
                .addVertex("qk", new MergeVertex(), "q", "k")
                .addLayer("loss", new MocoQueueLoss(d, queue, 0.2), "qk")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void matchesDoubleReferenceWithAGivenQueue() {
        Random r = new Random(7);
        for (double t : new double[] {0.2, 0.07, 1.0}) {
            int d = 5;
            int q = 12;
            ComputationGraph g = lossOnly(new MocoQueueLoss(d, q, t), DataType.DOUBLE);
            double[][] queue = randn(r, q, d);
            g.getLayer("loss").setParam(MocoQueueLoss.QUEUE, Nd4j.create(queue));
            for (int b : new int[] {2, 3, 6}) {
                double[][] in = randn(r, 2 * b, 2 * d);
                double expected = reference(in, queue, d, t);
                double got = g.score(new DataSet(Nd4j.create(in), ids(b)), false) * 2 * b;
                assertEquals(expected, got, 1e-10 * Math.max(1, expected), "t=" + t + " b=" + b);
                double[] rows = g.scoreExamples(new DataSet(Nd4j.create(in), ids(b)), false).toDoubleVector();
                assertEquals(expected, java.util.Arrays.stream(rows).sum(), 1e-10 * Math.max(1, expected));
            }
        }
    }

    @Test
    void floatAgreesWithDouble() {
        Random r = new Random(11);
        int d = 8;
        double[][] queue = randn(r, 32, d);
        double[][] in = randn(r, 16, 2 * d);
        double expected = reference(in, queue, d, 0.2);
        ComputationGraph g = lossOnly(new MocoQueueLoss(d, 32, 0.2), DataType.FLOAT);
        g.getLayer("loss").setParam(MocoQueueLoss.QUEUE, Nd4j.create(queue).castTo(DataType.FLOAT));
        double got = g.score(new DataSet(Nd4j.create(in).castTo(DataType.FLOAT), ids(8).castTo(DataType.FLOAT)), false)
                * 16;
        assertEquals(expected, got, 1e-4 * expected);
    }

    @Test
    void initialQueueHoldsUnitRowsAndPointerZero() {
        ComputationGraph g = lossOnly(new MocoQueueLoss(6, 40, 0.2), DataType.DOUBLE);
        INDArray queue = g.getLayer("loss").getParam(MocoQueueLoss.QUEUE);
        assertArrayEquals(new long[] {40, 6}, queue.shape());
        INDArray norms = queue.norm2(1);
        assertTrue(norms.sub(1.0).amaxNumber().doubleValue() < 1e-9);
        assertEquals(0.0, g.getLayer("loss").getParam(MocoQueueLoss.PTR).getDouble(0));
        // seeded: the same configuration gives the same queue
        assertEquals(queue, lossOnly(new MocoQueueLoss(6, 40, 0.2), DataType.DOUBLE).getLayer("loss")
                .getParam(MocoQueueLoss.QUEUE));
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraph g = twoTowers(5, 4, 10, DataType.DOUBLE, false);
            HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
            // The check's one backprop must not enqueue; the queue and the key tower are excluded because the
            // score depends on them while their gradient is zero by design (state; stop-gradient keys).
            layer.setStateFrozen(true);
            INDArray queueBefore = layer.getParam(MocoQueueLoss.QUEUE).dup();
            Random r = new Random(5);
            INDArray x = Nd4j.create(randn(r, 8, 5));
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {ids(4)})
                    .excludeParams(Set.of("loss_" + MocoQueueLoss.QUEUE, "k_W", "k_b"))
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
            assertTrue(ok, "gradient check failed");
            assertEquals(queueBefore, layer.getParam(MocoQueueLoss.QUEUE));
            // the key tower gets no gradient through the loss: its gradient is exactly zero
            g.setInputs(x);
            g.setLabels(ids(4));
            g.computeGradientAndScore();
            assertEquals(0.0, g.gradient().getGradientFor("k_W").amaxNumber().doubleValue());
            assertEquals(0.0, g.gradient().getGradientFor("loss_" + MocoQueueLoss.QUEUE).amaxNumber().doubleValue());
            assertTrue(g.gradient().getGradientFor("q_W").amaxNumber().doubleValue() > 0);
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void trainingStepsEnqueueKeysInARingAndTheUpdaterLeavesThem() {
        int f = 5;
        int d = 3;
        int qSize = 10;
        ComputationGraph g = twoTowers(f, d, qSize, DataType.DOUBLE, true); // Adam + L2
        HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
        Random r = new Random(9);
        INDArray initial = layer.getParam(MocoQueueLoss.QUEUE).dup();
        INDArray expected = initial.dup();
        int ptr = 0;
        for (int step = 0; step < 4; step++) { // N = 4 per step: ptr 0 -> 4 -> 8 -> 2 (wrapped) -> 6
            DataSet ds = new DataSet(Nd4j.create(randn(r, 4, f)), ids(2));
            INDArray keys = MocoQueueLoss.normaliseRows(g.feedForward(ds.getFeatures(), false).get("k"));
            double scoreBefore = g.score(ds, false);
            INDArray queueBeforeScore = layer.getParam(MocoQueueLoss.QUEUE).dup();
            // score-only calls never enqueue
            g.score(ds, true);
            g.output(ds.getFeatures());
            assertEquals(queueBeforeScore, layer.getParam(MocoQueueLoss.QUEUE));
            g.fit(ds);
            // the reported training score belongs to the old queue
            assertEquals(scoreBefore, g.score(), 1e-12);
            for (int row = 0; row < 4; row++) {
                expected.putRow((ptr + row) % qSize, keys.getRow(row));
            }
            ptr = (ptr + 4) % qSize;
            assertEquals(expected, layer.getParam(MocoQueueLoss.QUEUE), "step " + step);
            assertEquals(ptr, layer.getParam(MocoQueueLoss.PTR).getDouble(0), "step " + step);
        }
        assertEquals(6, ptr);
        // the parameter table is a view of the network's flat parameters
        assertEquals(expected, g.getParam("loss_" + MocoQueueLoss.QUEUE));
    }

    @Test
    void jsonAndModelSerializerRoundTripKeepTheQueueBitExact(@TempDir Path dir) throws Exception {
        ComputationGraph g = twoTowers(5, 4, 12, DataType.FLOAT, true);
        String json = g.getConfiguration().toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        assertEquals(g.getConfiguration(), back);
        MocoQueueLoss layer = (MocoQueueLoss) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices()
                .get("loss")).getLayerConf().getLayer();
        assertEquals(12, layer.getQueueSize());
        assertEquals(4, layer.getDim());
        assertEquals(0.2, layer.getTemperature());

        Random r = new Random(2);
        for (int step = 0; step < 2; step++) {
            g.fit(new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT), ids(3).castTo(DataType.FLOAT)));
        }
        File file = dir.resolve("moco.zip").toFile();
        ModelSerializer.writeModel(g, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        INDArray q1 = g.getParam("loss_" + MocoQueueLoss.QUEUE);
        INDArray q2 = restored.getParam("loss_" + MocoQueueLoss.QUEUE);
        assertArrayEquals(q1.data().asInt(), q2.data().asInt() == null ? null : q2.data().asInt());
        assertEquals(q1, q2);
        assertEquals(0.0, q1.sub(q2).amaxNumber().doubleValue());
        assertEquals(0.0, g.params().sub(restored.params()).amaxNumber().doubleValue());
        assertEquals(0.0, restored.getParam("loss_" + MocoQueueLoss.PTR).getDouble(0) - 0.0, 12.0);
        assertEquals(g.getParam("loss_" + MocoQueueLoss.PTR).getDouble(0),
                restored.getParam("loss_" + MocoQueueLoss.PTR).getDouble(0));
        // training resumes identically
        DataSet next = new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT), ids(3).castTo(DataType.FLOAT));
        g.fit(next);
        restored.fit(next);
        assertEquals(g.params(), restored.params());
    }

    @Test
    void badConfigurationsAndBatchesAreRejectedClearly() {
        assertThrows(IllegalArgumentException.class, () -> new MocoQueueLoss(4, 16, 0));
        assertThrows(IllegalArgumentException.class, () -> new MocoQueueLoss(0));
        ComputationGraph small = lossOnly(new MocoQueueLoss(3, 4, 0.2), DataType.DOUBLE);
        Random r = new Random(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small.score(new DataSet(Nd4j.create(randn(r, 6, 6)), ids(3)), false));
        assertTrue(e.getMessage().contains("queue size 4"), e.getMessage());
        ComputationGraph g = lossOnly(new MocoQueueLoss(3, 16, 0.2), DataType.DOUBLE);
        INDArray shuffled = Nd4j.create(new double[] {0, 1, 1, 0}, new long[] {4, 1});
        e = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(Nd4j.create(randn(r, 4, 6)), shuffled), false));
        assertTrue(e.getMessage().contains("row 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("loss", new MocoQueueLoss(3), "in").setOutputs("loss").build());
    }
}
