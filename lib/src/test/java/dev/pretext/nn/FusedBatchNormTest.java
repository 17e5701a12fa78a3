package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Map;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link FusedBatchNorm}: against a plain double-precision reference (forward, every gradient, the
 * running statistics), DL4J's gradient check, DL4J's BatchNormalization + ReLU layers in float in a
 * training graph, and JSON / model-file round trips.
 */
class FusedBatchNormTest {

    /** conv - BN(+ReLU) - avg pool - linear output (MSE), either with ours or with DL4J's layers. */
    private static ComputationGraph graph(DataType dt, boolean fused, boolean relu, Object updater) {
        var b = new NeuralNetConfiguration.Builder().dataType(dt).seed(7)
                .updater(updater instanceof Sgd s ? s : new NoOp()).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), "in");
        String last;
        if (fused) {
            b.addLayer("bn", FusedBatchNorm.of(relu), "conv");
            last = "bn";
        } else {
            b.addLayer("bn", new BatchNormalization.Builder().eps(1e-5).decay(0.9).build(), "conv");
            last = "bn";
            if (relu) {
                b.addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn");
                last = "relu";
            }
        }
        b.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last)
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(5, 6, 2));
        ComputationGraph g = new ComputationGraph(b.build());
        g.init();
        return g;
    }

    private static INDArray randn(long seed, DataType dt, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(dt, shape);
    }

    @Test
    void matchesDoubleReferenceForwardBackwardAndRunningStats() {
        for (boolean relu : new boolean[] {false, true}) {
            int n = 3;
            int c = 4;
            int h = 5;
            int w = 6;
            INDArray x = randn(1, DataType.DOUBLE, n, c, h, w).muli(2).addi(0.7);
            INDArray dy = randn(2, DataType.DOUBLE, n, c, h, w);
            double[] gamma = {1.5, 0.5, -0.8, 1.0};
            double[] beta = {0.1, -0.2, 0.3, 0.0};
            ComputationGraph g = graph(DataType.DOUBLE, true, relu, null);
            g.initGradientsView();
            org.deeplearning4j.nn.api.Layer bn = g.getLayer("bn");
            bn.getParam("gamma").assign(Nd4j.createFromArray(gamma).reshape(bn.getParam("gamma").shape()));
            bn.getParam("beta").assign(Nd4j.createFromArray(beta).reshape(bn.getParam("beta").shape()));
            bn.getParam("mean").assign(0.2);
            bn.getParam("log10stdev").assign(0.5 * Math.log10(1.3));
            var mgr = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
            bn.setInput(x, mgr);
            INDArray out = bn.activate(true, mgr).dup();
            var pair = bn.backpropGradient(dy, mgr);
            INDArray dx = pair.getSecond().dup();
            Map<String, INDArray> grads = pair.getFirst().gradientForVariable();

            double eps = 1e-5;
            double m = (double) n * h * w;
            for (int ch = 0; ch < c; ch++) {
                double mean = 0;
                for (int i = 0; i < n; i++) for (int y = 0; y < h; y++) for (int z = 0; z < w; z++) mean += x.getDouble(i, ch, y, z);
                mean /= m;
                double var = 0;
                for (int i = 0; i < n; i++) for (int y = 0; y < h; y++) for (int z = 0; z < w; z++) {
                    double d = x.getDouble(i, ch, y, z) - mean;
                    var += d * d;
                }
                var /= m;
                double inv = 1 / Math.sqrt(var + eps);
                double sumG = 0;
                double sumGXhat = 0;
                double[][][][] gArr = new double[n][1][h][w];
                for (int i = 0; i < n; i++) for (int y = 0; y < h; y++) for (int z = 0; z < w; z++) {
                    double xhat = (x.getDouble(i, ch, y, z) - mean) * inv;
                    double pre = gamma[ch] * xhat + beta[ch];
                    double o = relu ? Math.max(0, pre) : pre;
                    assertEquals(o, out.getDouble(i, ch, y, z), 1e-9, "forward");
                    double gg = relu && pre <= 0 ? 0 : dy.getDouble(i, ch, y, z);
                    gArr[i][0][y][z] = gg;
                    sumG += gg;
                    sumGXhat += gg * xhat;
                }
                assertEquals(sumG, grads.get("beta").getDouble(ch), 1e-9, "dbeta");
                assertEquals(sumGXhat, grads.get("gamma").getDouble(ch), 1e-9, "dgamma");
                for (int i = 0; i < n; i++) for (int y = 0; y < h; y++) for (int z = 0; z < w; z++) {
                    double xhat = (x.getDouble(i, ch, y, z) - mean) * inv;
                    double ref = gamma[ch] * inv / m * (m * gArr[i][0][y][z] - sumG - xhat * sumGXhat);
                    assertEquals(ref, dx.getDouble(i, ch, y, z), 1e-9, "dx");
                }
                // running statistics: param - gradient = 0.9 * running + 0.1 * batch (biased variance, as DL4J)
                assertEquals(0.9 * 0.2 + 0.1 * mean, 0.2 - grads.get("mean").getDouble(ch), 1e-9, "running mean");
                double newVar = 0.9 * 1.3 + 0.1 * var;
                assertEquals(0.5 * Math.log10(newVar), 0.5 * Math.log10(1.3) - grads.get("log10stdev").getDouble(ch), 1e-9,
                        "running variance (as log10 std)");
            }
            // inference uses the running statistics
            INDArray test = bn.activate(false, mgr);
            double pre = (x.getDouble(1, 2, 3, 4) - 0.2) / Math.sqrt(1.3 + eps) * gamma[2] + beta[2];
            assertEquals(relu ? Math.max(0, pre) : pre, test.getDouble(1, 2, 3, 4), 1e-9, "inference");
        }
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (boolean relu : new boolean[] {false, true}) {
                ComputationGraph g = graph(DataType.DOUBLE, true, relu, null);
                g.getLayer("bn").getParam("gamma").assign(Nd4j.createFromArray(1.2, 0.7, -0.9, 1.1).reshape(1, 4));
                g.getLayer("bn").getParam("beta").assign(Nd4j.createFromArray(0.2, -0.1, 0.3, 0.05).reshape(1, 4));
                INDArray in = randn(3, DataType.DOUBLE, 4, 2, 5, 6);
                INDArray y = randn(4, DataType.DOUBLE, 4, 3);
                assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {in}).labels(new INDArray[] {y})
                        // the running statistics do not enter a training forward: no gradient to check
                        .excludeParams(java.util.Set.of("bn_mean", "bn_log10stdev"))
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "relu=" + relu);
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void trainsLikeDl4jBatchNormAndReluInFloat() {
        for (boolean relu : new boolean[] {false, true}) {
            ComputationGraph ours = graph(DataType.FLOAT, true, relu, new Sgd(0.1));
            ComputationGraph theirs = graph(DataType.FLOAT, false, relu, new Sgd(0.1));
            assertEquals(ours.params().length(), theirs.params().length());
            theirs.setParams(ours.params().dup());
            for (int step = 0; step < 3; step++) {
                INDArray in = randn(10 + step, DataType.FLOAT, 8, 2, 5, 6).muli(1.5).addi(0.3);
                INDArray y = randn(20 + step, DataType.FLOAT, 8, 3);
                INDArray a = ours.outputSingle(true, in);
                INDArray b = theirs.outputSingle(true, in);
                assertTrue(a.equalsWithEps(b, 1e-4), "training output, step " + step);
                ours.fit(new INDArray[] {in}, new INDArray[] {y});
                theirs.fit(new INDArray[] {in}, new INDArray[] {y});
                INDArray pa = ours.params();
                INDArray pb = theirs.params();
                assertTrue(pa.equalsWithEps(pb, 1e-4), "parameters after step " + step + ": max diff "
                        + pa.sub(pb).amaxNumber());
            }
            INDArray in = randn(99, DataType.FLOAT, 5, 2, 5, 6);
            assertTrue(ours.outputSingle(false, in).equalsWithEps(theirs.outputSingle(false, in), 1e-4), "inference");
        }
    }

    @Test
    void jsonAndModelFileRoundTrips() throws Exception {
        ComputationGraph g = graph(DataType.FLOAT, true, true, new Sgd(0.1));
        g.fit(new INDArray[] {randn(5, DataType.FLOAT, 4, 2, 5, 6)}, new INDArray[] {randn(6, DataType.FLOAT, 4, 3)});
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        Layer layer = ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("bn")).getLayerConf().getLayer();
        assertTrue(layer instanceof FusedBatchNorm f && f.isRelu() && f.getEps() == 1e-5 && f.getDecay() == 0.9);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(g, bytes, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes.toByteArray()), true);
        INDArray in = randn(7, DataType.FLOAT, 3, 2, 5, 6);
        assertEquals(g.outputSingle(false, in), restored.outputSingle(false, in));
        assertTrue(restored.getLayer("bn") instanceof FusedBatchNormLayer);
        assertEquals(0, ((FusedBatchNormLayer) g.getLayer("bn")).recomputes(), "fit reused the forward's statistics");
    }

    @Test
    void badInputIsRefused() {
        ComputationGraph g = graph(DataType.FLOAT, true, true, null);
        var bn = g.getLayer("bn");
        var mgr = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
        bn.setInput(Nd4j.rand(DataType.FLOAT, 3, 4), mgr);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> bn.activate(true, mgr));
    }
}
