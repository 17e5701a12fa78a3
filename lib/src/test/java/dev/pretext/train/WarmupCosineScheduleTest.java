package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class WarmupCosineScheduleTest {

    @Test
    void warmupIsLinearAndStartsAboveZero() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(100, 10, 0.5, 0.01);
        for (int i = 0; i < 10; i++) {
            assertEquals(0.5 * (i + 1) / 10.0, s.valueAt(i, 0), 1e-15);
        }
    }

    @Test
    void cosineEndpointsAndMidpoint() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(110, 10, 0.5, 0.01);
        assertEquals(0.5, s.valueAt(10, 0), 1e-15);
        assertEquals(0.01 + 0.49 * 0.5, s.valueAt(60, 0), 1e-12); // half-way through the cosine
        assertEquals(0.01, s.valueAt(110, 0), 1e-15);
        assertEquals(0.01, s.valueAt(10_000, 3), 1e-15);
        // monotone non-increasing after warm-up
        for (int i = 10; i < 110; i++) {
            assertTrue(s.valueAt(i + 1, 0) <= s.valueAt(i, 0));
        }
    }

    @Test
    void noWarmupStartsAtPeak() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(10, 0, 1.0, 0.0);
        assertEquals(1.0, s.valueAt(0, 0), 1e-15);
        assertEquals(0.0, s.valueAt(10, 0), 1e-15);
    }

    @Test
    void badParametersAreUserErrors() {
        assertThrows(UserError.class, () -> new WarmupCosineSchedule(0, 0, 1, 0));
        assertThrows(UserError.class, () -> new WarmupCosineSchedule(10, 11, 1, 0));
        assertThrows(UserError.class, () -> new WarmupCosineSchedule(10, 1, -1, 0));
        assertThrows(UserError.class, () -> new WarmupCosineSchedule(10, 1, 1, 2));
    }

    @Test
    void scheduleSurvivesTheNetworkJsonRoundTrip() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(200, 20, 3e-3, 1e-5);
        Optimizer opt = Optimizers.create("adamw", 3e-3, 0.05, s);
        ComputationGraphConfiguration conf = opt.applyTo(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .updater(opt.updater()).graphBuilder().addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(3).nOut(4).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nIn(4).nOut(2).build(), "d")
                .setOutputs("out").build());
        String json = conf.toJson();
        assertTrue(json.contains("WarmupCosineSchedule"), json);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        BaseLayer layer = (BaseLayer) ((LayerVertex) back.getVertices().get("d")).getLayerConf().getLayer();
        Adam adam = (Adam) layer.getIUpdater();
        assertEquals(s, adam.getLearningRateSchedule());
        assertEquals(s.valueAt(57, 0), adam.getLearningRate(57, 0), 0.0);
        BaseLayer orig = (BaseLayer) ((LayerVertex) conf.getVertices().get("d")).getLayerConf().getLayer();
        assertEquals(orig.getRegularization(), layer.getRegularization());
        assertEquals(1, layer.getRegularization().size(), layer.getRegularization().toString());
        assertInstanceOf(WeightDecay.class, layer.getRegularization().get(0));
        assertTrue(layer.getRegularizationBias().isEmpty());
    }

    @Test
    void weightDecayIsSetOnceOnWeightsAndNeverOnTheFrozenTwin() {
        Optimizer opt = Optimizers.create("adamw", 1e-3, 1e-4, null);
        ComputationGraphConfiguration conf = opt.applyTo(dev.pretext.method.Methods.withDefaults("byol").configuration(
                dev.pretext.method.ModelSpec.of("conv4", 0.25, 8, 8, opt.updater()), 1));
        BaseLayer layer = (BaseLayer) ((LayerVertex) conf.getVertices().get("c1_conv")).getLayerConf().getLayer();
        assertEquals(1, layer.getRegularization().size());
        assertTrue(layer.getRegularizationBias().isEmpty());
        assertInstanceOf(org.deeplearning4j.nn.conf.graph.FrozenVertex.class, conf.getVertices().get("t_c1_conv"));
    }

    @Test
    void optimizerNames() {
        assertInstanceOf(Adam.class, Optimizers.create("adam", 1e-3, 1e-4, null).updater());
        assertInstanceOf(L2Regularization.class, Optimizers.create("adam", 1e-3, 1e-4, null).regularization().get(0));
        assertTrue(Optimizers.create("adamw", 1e-3, 0, null).regularization().isEmpty());
        Nesterovs n = (Nesterovs) Optimizers.create("SGD", 0.1, 5e-4, null).updater();
        assertEquals(0.9, n.getMomentum(), 0.0);
        assertEquals(0.1, n.getLearningRate(0, 0), 1e-12);
        assertInstanceOf(Sgd.class, Optimizers.create("sgd", 0.1, 0, null, false).updater());
        UserError e = assertThrows(UserError.class, () -> Optimizers.create("lamb", 1e-3, 0, null));
        assertTrue(e.getMessage().contains("adam|adamw|sgd"), e.getMessage());
        assertThrows(UserError.class, () -> Optimizers.create("adam", 0, 0, null));
        assertThrows(UserError.class, () -> Optimizers.create("adam", 1e-3, -1, null));
    }
}
