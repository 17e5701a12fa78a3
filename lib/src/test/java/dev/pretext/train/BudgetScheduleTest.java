package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The budget-fitted schedule and its planner as pure functions: peak and floor reached, re-estimation. */
class BudgetScheduleTest {
    static final double PEAK = 0.03;

    @Test
    void unanchoredItIsTheWarmupCosineScheduleOverTheEstimate() {
        BudgetSchedule b = BudgetSchedule.start(0.1, PEAK, 1e-4, 200);
        WarmupCosineSchedule w = new WarmupCosineSchedule(200, 20, PEAK, 1e-4);
        for (int i = 0; i < 260; i++) {
            assertEquals(w.valueAt(i, 0), b.valueAt(i, 0), 1e-12, "step " + i);
        }
    }

    /**
     * A simulated 600 s run: chunks of 50 steps, the first chunk slow (caching, JIT: 100 s), then
     * 40 s each, then the machine gets busier (60 s) from t = 300 s. The schedule starts from a
     * far too long epoch-based estimate and is refitted after every chunk, as the training loop does.
     */
    @Test
    void refittedAfterEveryChunkItReachesPeakAndFloorWithinTheBudget() {
        double budget = 600;
        long epochTotal = 100_000;
        BudgetSchedule s = BudgetSchedule.start(0.05, PEAK, 0.0, epochTotal);
        double t = 0;
        long step = 0;
        double maxLr = 0, lastLr = Double.NaN;
        int chunks = 0;
        while (true) {
            double chunkS = chunks == 0 ? 100 : (t >= 300 ? 60 : 40);
            for (int i = 0; i < 50; i++, step++) {
                double lr = s.valueAt((int) step, 0);
                maxLr = Math.max(maxLr, lr);
                lastLr = lr;
            }
            t += chunkS;
            chunks++;
            BudgetPlan plan = BudgetPlan.of(budget, t, step, chunkS, 50, epochTotal);
            BudgetSchedule next = s.refit(step, plan.totalSteps());
            // continuous: the new schedule gives the step about to run (nearly) what the old one would
            assertEquals(s.valueAt((int) step, 0), next.valueAt((int) step, 0), 0.2 * PEAK, "refit at step " + step);
            assertEquals(s.progress(step), next.progress(step), 1e-12);
            s = next;
            if (plan.chunksLeft() == 0) {
                break;
            }
            assertTrue(chunks < 50, "the planner never stopped");
        }
        assertTrue(t <= budget + BudgetPlan.LAST_CHUNK_SHARE * 60, "ran " + t + " s of a " + budget + " s budget");
        assertTrue(t >= budget - 60, "stopped early at " + t + " s");
        assertEquals(PEAK, maxLr, 0.05 * PEAK, "peak reached");
        assertTrue(lastLr < 0.02 * PEAK, "floor reached: last lr " + lastLr);
    }

    @Test
    void thePlanFollowsTheMeasuredThroughput() {
        // 300 s left, 30 s per chunk of 20 steps: 10 chunks, 200 steps to go
        BudgetPlan p = BudgetPlan.of(600, 300, 100, 30, 20, 10_000);
        assertEquals(10, p.chunksLeft());
        assertEquals(300, p.totalSteps());
        // the machine gets twice as fast: twice the steps
        BudgetPlan faster = BudgetPlan.of(600, 300, 100, 15, 20, 10_000);
        assertEquals(20, faster.chunksLeft());
        assertEquals(500, faster.totalSteps());
        // the epochs end first: the plan never goes beyond them
        BudgetPlan capped = BudgetPlan.of(600, 300, 100, 15, 20, 250);
        assertEquals(250, capped.totalSteps());
    }

    @Test
    void aLastChunkRunsOnlyWhenMostOfItFitsInTheBudget() {
        assertEquals(0, BudgetPlan.of(600, 580, 10, 30, 5, 1000).chunksLeft());   // 20 s left of a 30 s chunk
        assertEquals(1, BudgetPlan.of(600, 574, 10, 30, 5, 1000).chunksLeft());   // 26 s left: > 80 %
        assertEquals(0, BudgetPlan.of(600, 700, 10, 30, 5, 1000).chunksLeft());   // already past
        assertEquals(10, BudgetPlan.of(600, 700, 10, 30, 5, 1000).totalSteps());  // nothing more planned
        assertThrows(IllegalArgumentException.class, () -> BudgetPlan.of(600, 0, 0, 0, 5, 1000));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(UserError.class, () -> BudgetSchedule.start(1.0, PEAK, 0, 10));
        assertThrows(UserError.class, () -> BudgetSchedule.start(0.1, -1, 0, 10));
        assertThrows(UserError.class, () -> BudgetSchedule.start(0.1, PEAK, 2 * PEAK, 10));
        assertThrows(UserError.class, () -> new BudgetSchedule(0.1, PEAK, 0, 10, 10, 0.5));
    }

    @Test
    void aRefittedScheduleSurvivesTheNetworkJsonRoundTrip() {
        BudgetSchedule s = BudgetSchedule.start(0.05, PEAK, 1e-5, 5000).refit(120, 900);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().updater(new Adam(s))
                .graphBuilder().addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(3).nOut(4).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nIn(4).nOut(2).build(), "d")
                .setOutputs("out").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        Adam adam = (Adam) ((BaseLayer) ((LayerVertex) back.getVertices().get("d")).getLayerConf().getLayer()).getIUpdater();
        assertEquals(s, adam.getLearningRateSchedule());
        assertEquals(s.valueAt(400, 0), adam.getLearningRate(400, 0), 0.0);
    }
}
