package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Set;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
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
 * {@link LeanConvolution}: the same gradients as DL4J's convolution layer (exactly, with oneDNN in
 * float and with DL4J's built-in path in double), DL4J's gradient check, no forward recomputed for
 * an identity convolution, DL4J's path for any other activation, and JSON / model-file round trips.
 */
class LeanConvolutionTest {

    /** conv(3x3, stride) - conv(1x1) - avg pool - linear output (MSE), with ours or DL4J's convolutions. */
    private static ComputationGraph graph(DataType dt, boolean lean, Activation act, int stride) {
        return graph(dt, lean, act, stride, new Sgd(0.05));
    }

    private static ComputationGraph graph(DataType dt, boolean lean, Activation act, int stride,
                                          org.nd4j.linalg.learning.config.IUpdater updater) {
        ConvolutionLayer a = new ConvolutionLayer.Builder(3, 3).stride(stride, stride).nOut(5).hasBias(false)
                .convolutionMode(ConvolutionMode.Same).activation(act).build();
        ConvolutionLayer b = new ConvolutionLayer.Builder(1, 1).nOut(4).hasBias(true)
                .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build();
        var g = new NeuralNetConfiguration.Builder().dataType(dt).seed(11).updater(updater).graphBuilder()
                .addInputs("in")
                .addLayer("c1", lean ? LeanConvolution.of(a) : a, "in")
                .addLayer("c2", lean ? LeanConvolution.of(b) : b, "c1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 7, 3));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static INDArray randn(long seed, DataType dt, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(dt, shape);
    }

    private static void assertSameTraining(DataType dt, Activation act, int stride) {
        ComputationGraph ours = graph(dt, true, act, stride);
        ComputationGraph theirs = graph(dt, false, act, stride);
        theirs.setParams(ours.params().dup());
        for (int step = 0; step < 3; step++) {
            INDArray in = randn(30 + step, dt, 6, 3, 8, 7);
            INDArray y = randn(40 + step, dt, 6, 3);
            ours.setInputs(in);
            ours.setLabels(y);
            theirs.setInputs(in);
            theirs.setLabels(y);
            ours.computeGradientAndScore();
            theirs.computeGradientAndScore();
            INDArray ga = ours.gradient().gradient();
            INDArray gb = theirs.gradient().gradient();
            assertEquals(gb, ga, dt + " " + act + " stride " + stride + ": gradients at step " + step);
            ours.fit(new INDArray[] {in}, new INDArray[] {y});
            theirs.fit(new INDArray[] {in}, new INDArray[] {y});
            assertEquals(theirs.params(), ours.params(), "parameters after step " + step);
        }
    }

    @Test
    void sameGradientsAsDl4jWithOneDnnInFloat() {
        CpuAcceleration.enable();
        assertSameTraining(DataType.FLOAT, Activation.IDENTITY, 1);
        assertSameTraining(DataType.FLOAT, Activation.IDENTITY, 2);
        ComputationGraph g = graph(DataType.FLOAT, true, Activation.IDENTITY, 1);
        g.fit(new INDArray[] {randn(1, DataType.FLOAT, 4, 3, 8, 7)}, new INDArray[] {randn(2, DataType.FLOAT, 4, 3)});
        assertNotNull(((LeanConvolutionLayer) g.getLayer("c1")).getHelper(), "oneDNN helper in use");
        assertEquals(0, ((LeanConvolutionLayer) g.getLayer("c1")).recomputes(), "no forward recomputed");
        assertEquals(0, ((LeanConvolutionLayer) g.getLayer("c2")).recomputes(), "no forward recomputed");
    }

    @Test
    void sameGradientsAsDl4jOnTheBuiltInPathInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            assertSameTraining(DataType.DOUBLE, Activation.IDENTITY, 1);
            assertSameTraining(DataType.DOUBLE, Activation.IDENTITY, 2);
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void otherActivationsRecomputeTheForwardAsDl4jDoes() {
        assertSameTraining(DataType.FLOAT, Activation.TANH, 1);
        ComputationGraph g = graph(DataType.FLOAT, true, Activation.TANH, 1);
        g.fit(new INDArray[] {randn(1, DataType.FLOAT, 4, 3, 8, 7)}, new INDArray[] {randn(2, DataType.FLOAT, 4, 3)});
        assertEquals(1, ((LeanConvolutionLayer) g.getLayer("c1")).recomputes(), "tanh needs its pre-activation");
        assertEquals(0, ((LeanConvolutionLayer) g.getLayer("c2")).recomputes());
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            for (int stride : new int[] {1, 2}) {
                ComputationGraph g = graph(DataType.DOUBLE, true, Activation.IDENTITY, stride, new NoOp());
                assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {randn(5, DataType.DOUBLE, 3, 3, 8, 7)})
                        .labels(new INDArray[] {randn(6, DataType.DOUBLE, 3, 3)})
                        .excludeParams(Set.of())
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "stride " + stride);
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void jsonAndModelFileRoundTrips() throws Exception {
        ComputationGraph g = graph(DataType.FLOAT, true, Activation.IDENTITY, 2);
        g.fit(new INDArray[] {randn(5, DataType.FLOAT, 4, 3, 8, 7)}, new INDArray[] {randn(6, DataType.FLOAT, 4, 3)});
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        Layer layer = ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get("c1")).getLayerConf().getLayer();
        assertTrue(layer instanceof LeanConvolution c && c.getStride()[0] == 2 && c.getKernelSize()[0] == 3
                && !c.hasBias() && c.getNOut() == 5, String.valueOf(layer));
        assertEquals(g.getConfiguration(), back);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(g, bytes, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes.toByteArray()), true);
        INDArray in = randn(7, DataType.FLOAT, 3, 3, 8, 7);
        assertEquals(g.outputSingle(false, in), restored.outputSingle(false, in));
        assertTrue(restored.getLayer("c1") instanceof LeanConvolutionLayer);
    }
}
