package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.pretext.UserError;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

class BackbonesTest {

    @BeforeAll
    static void acceleration() {
        CpuAcceleration.enable();
    }

    static ComputationGraph encoder(String name, double width, int size) {
        ComputationGraph g = new ComputationGraph(Backbones.encoderOnly(name, width, size, size, 42, new Adam(1e-3)));
        g.init();
        return g;
    }

    @Test
    void resnet18ParameterCountsMatchPyTorch() {
        // numbers printed by the PyTorch peer: sum(p.numel() for p in backbone.parameters())
        assertEquals(700_176, ParamCounts.trainableUpTo(encoder("resnet18-cifar", 0.25, 32), Backbones.EMBEDDING));
        assertEquals(2_795_040, ParamCounts.trainableUpTo(encoder("resnet18-cifar", 0.5, 32), Backbones.EMBEDDING));
        assertEquals(11_168_832, ParamCounts.trainableUpTo(encoder("resnet18-cifar", 1.0, 8), Backbones.EMBEDDING));
    }

    @Test
    void runningStatsAreStoredButNotCounted() {
        ComputationGraph g = encoder("resnet18-cifar", 0.25, 16);
        // 20 BN layers; running mean + var = 2 values per channel: 2 * (16*5 + 32*5 + 64*5 + 128*5)
        long bnStats = 2L * (16 * 5 + 32 * 5 + 64 * 5 + 128 * 5);
        assertEquals(700_176 + bnStats, g.numParams());
        assertEquals(700_176, ParamCounts.trainable(g));
    }

    @Test
    void conv4ParameterCountFollowsItsDefinition() {
        // width 0.25: channels 8/16/32/64; conv weights (no bias) + BN gamma/beta
        long expected = 3 * 8 * 9 + 8 * 16 * 9 + 16 * 32 * 9 + 32 * 64 * 9 + 2 * (8 + 16 + 32 + 64);
        assertEquals(expected, ParamCounts.trainableUpTo(encoder("conv4", 0.25, 16), Backbones.EMBEDDING));
    }

    @Test
    void embeddingIsPooledFeatureVector() {
        INDArray x = Nd4j.rand(new int[] {2, 3, 16, 16});
        for (String name : Backbones.names()) {
            ComputationGraph g = encoder(name, 0.25, 16);
            INDArray out = g.outputSingle(false, x);
            int dim = Backbones.get(name).featureDim(0.25);
            assertArrayEquals(new long[] {2, dim}, out.shape(), name);
            assertTrue(out.minNumber().doubleValue() >= 0, name + ": GAP of ReLU outputs is non-negative");
        }
        assertEquals(128, Backbones.get("resnet18-cifar").featureDim(0.25));
        assertEquals(64, Backbones.get("conv4").featureDim(0.25));
    }

    @Test
    void widthsRoundHalfToEvenLikePython() {
        assertEquals(19, Backbones.channels(64, 0.3));
        assertEquals(2, Backbones.channels(10, 0.25));   // round(2.5) == 2 in Python 3
        assertEquals(4, Backbones.channels(14, 0.25));   // round(3.5) == 4
        assertEquals(1, Backbones.channels(64, 0.001));
        assertThrows(IllegalArgumentException.class, () -> Backbones.channels(64, 0));
    }

    @Test
    void unknownNameListsValidOnes() {
        assertEquals(List.of("resnet18-cifar", "conv4"), Backbones.names());
        UserError e = assertThrows(UserError.class, () -> Backbones.get("resnet50"));
        assertTrue(e.getMessage().contains("resnet50") && e.getMessage().contains("resnet18-cifar")
                && e.getMessage().contains("conv4"), e.getMessage());
    }

    @Test
    void convWeightsUseKaimingFanOut() {
        ComputationGraph g = encoder("resnet18-cifar", 0.25, 8);
        INDArray w = g.getLayer("s4b2_b_conv").getParam("W");          // [128, 128, 3, 3]
        assertArrayEquals(new long[] {128, 128, 3, 3}, w.shape());
        double expectedStd = Math.sqrt(2.0 / (128 * 9));
        assertEquals(0.0, w.meanNumber().doubleValue(), 0.02 * expectedStd * 10);
        assertEquals(expectedStd, w.stdNumber().doubleValue(), 0.02 * expectedStd);
        INDArray sc = g.getLayer("s2b1_sc_conv").getParam("W");        // [32, 16, 1, 1]: fan_out 32
        assertEquals(Math.sqrt(2.0 / 32), sc.stdNumber().doubleValue(), 0.2 * Math.sqrt(2.0 / 32));
    }

    @Test
    void configurationSurvivesJson() {
        ComputationGraphConfiguration conf = Backbones.encoderOnly("resnet18-cifar", 0.25, 32, 32, 1, new Adam(1e-3));
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }
}
