package dev.pretext.eval;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The monitor's vote follows KnnClassifier's rule: k nearest by cosine, exp(sim / T) weights. */
class KnnMonitorTest {
    private static KnnMonitor monitor(int[] bankLabels, int k) {
        return new KnnMonitor(Nd4j.zeros(bankLabels.length, 1), bankLabels, Nd4j.zeros(1, 1), new int[]{0},
                "embedding", k, 0.1);
    }

    @Test
    void theNearestRowsVoteWithTemperatureWeights() {
        float[][] bank = {{1, 0}, {0.9f, 0.436f}, {0, 1}, {-1, 0}};
        int[] labels = {0, 0, 1, 2};
        // k = 1: the single nearest row decides
        assertEquals(1, monitor(labels, 1).vote(new float[]{0.1f, 0.995f}, bank));
        // k = 3 near axis 0: two rows of class 0 outvote class 1
        assertEquals(0, monitor(labels, 3).vote(new float[]{0.8f, 0.6f}, bank));
        // k = 3 near axis 1: one much closer row of class 1 outweighs two farther rows of class 0
        assertEquals(1, monitor(labels, 3).vote(new float[]{0.2f, 0.98f}, bank));
        // k beyond the bank size is capped
        assertEquals(0, monitor(labels, 50).vote(new float[]{1f, 0f}, bank));
    }
}
