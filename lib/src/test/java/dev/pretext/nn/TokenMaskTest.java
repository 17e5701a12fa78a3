package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class TokenMaskTest {

    static ComputationGraphConfiguration graph(DataType dt) {
        return new NeuralNetConfiguration.Builder().dataType(dt).seed(3).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("x", "keep").setInputTypes(InputType.feedForward(3), InputType.feedForward(1))
                .addLayer("codes", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "x")
                .addVertex("codes_keep", new MergeVertex(), "codes", "keep")
                .addLayer("mask", new TokenMask(), "codes_keep")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "mask")
                .setOutputs("out").build();
    }

    @Test
    void zeroesTheMaskedTokensAndKeepsTheOthers() {
        ComputationGraph g = new ComputationGraph(graph(DataType.FLOAT));
        g.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray keep = Nd4j.create(new float[] {1, 0, 1, 0}, new long[] {4, 1});
        java.util.Map<String, INDArray> acts = g.feedForward(new INDArray[] {x, keep}, false);
        INDArray codes = acts.get("codes");
        INDArray masked = acts.get("mask");
        assertEquals(4, masked.size(1));
        assertEquals(codes.getRow(0), masked.getRow(0));
        assertEquals(codes.getRow(2), masked.getRow(2));
        assertEquals(0.0, masked.getRow(1).norm2Number().doubleValue(), 0.0);
        assertEquals(0.0, masked.getRow(3).norm2Number().doubleValue(), 0.0);
        ComputationGraph back = new ComputationGraph(ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson()));
        back.init(g.params().dup(), false);
        assertEquals(g.getConfiguration().toJson(), back.getConfiguration().toJson());
        assertEquals(masked, back.feedForward(new INDArray[] {x, keep}, false).get("mask"));
    }

    @Test
    void gradientCheckAndNoGradientThroughMaskedTokens() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraph g = new ComputationGraph(graph(DataType.DOUBLE));
            g.init();
            INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 3);
            INDArray keep = Nd4j.create(new double[] {1, 0, 1, 1}, new long[] {4, 1});
            INDArray y = Nd4j.rand(DataType.DOUBLE, 4, 2);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x, keep}).labels(new INDArray[] {y})
                    .excludeParams(java.util.Set.of())
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
            // Only the masked row 1 changes: the loss must not move.
            g.setInputs(x, keep);
            g.setLabels(y);
            g.computeGradientAndScore();
            double before = g.score();
            INDArray x2 = x.dup();
            x2.putRow(1, Nd4j.rand(DataType.DOUBLE, 1, 3));
            g.setInputs(x2, keep);
            g.computeGradientAndScore();
            assertEquals(before, g.score(), 1e-12);
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void rejectsInputWithoutAKeepColumn() {
        assertThrows(IllegalArgumentException.class, () -> new TokenMask().setNIn(InputType.feedForward(1), false));
        assertThrows(IllegalArgumentException.class, () -> new TokenMask().setNIn(InputType.recurrent(4, 3), false));
    }
}
