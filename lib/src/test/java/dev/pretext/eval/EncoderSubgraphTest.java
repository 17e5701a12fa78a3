package dev.pretext.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.method.Methods;
import dev.pretext.method.ModelSpec;
import dev.pretext.nn.Backbones;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

class EncoderSubgraphTest {

    @Test
    void theEncoderAloneGivesTheTrainingGraphsFeaturesWithoutHeadsTwinOrLoss() {
        for (String method : List.of("byol", "mocov2", "simclr")) {
            ComputationGraph training = Methods.withDefaults(method).build(
                    ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 5);
            // non-trivial BN statistics and weights
            Nd4j.getRandom().setSeed(1);
            INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 16, 3, 8, 8);
            training.feedForward(new INDArray[] {Nd4j.concat(0, x, x)}, true, false);
            ComputationGraph enc = EncoderSubgraph.extract(training, List.of(Backbones.EMBEDDING, "c3_relu"));
            assertEquals(training.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0],
                    enc.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0], method);
            assertEquals(training.output(List.of("c3_relu"), false, new INDArray[] {x}, null)[0],
                    enc.output(List.of("c3_relu"), false, new INDArray[] {x}, null)[0], method);
            assertTrue(enc.getConfiguration().getVertices().keySet().stream()
                    .noneMatch(v -> v.startsWith("proj") || v.startsWith("t_") || v.startsWith("pred") || v.equals("loss")),
                    method + ": " + enc.getConfiguration().getVertices().keySet());
            assertTrue(enc.numParams() < training.numParams(), method + ": " + enc.numParams());
        }
    }

    @Test
    void anUnknownLayerIsNamed() {
        ComputationGraph training = Methods.withDefaults("simclr").build(
                ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 5);
        UserError e = assertThrows(UserError.class, () -> EncoderSubgraph.extract(training, List.of("stage9")));
        assertTrue(e.getMessage().contains("stage9") && e.getMessage().contains("embedding"), e.getMessage());
        assertEquals("c3_relu", Backbones.layer("conv4", "stage3"));
        assertEquals("s4b2_out", Backbones.layer("resnet18-cifar", "stage4"));
        assertThrows(UserError.class, () -> Backbones.layer("conv4", "stage5"));
    }
}
