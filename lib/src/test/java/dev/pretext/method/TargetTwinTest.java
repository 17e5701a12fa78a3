package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.nn.MocoQueueLoss;
import dev.pretext.nn.TargetTwin;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.EmaTargetHook;
import dev.pretext.train.TrainerSettings;
import dev.pretext.train.TrainerState;
import dev.pretext.train.WarmupCosineSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** The EMA target twin (STACK.md's leads, proven): frozen to gradients and weight decay, batch statistics, exact EMA under paramavg, resumed bit-exactly. */
class TargetTwinTest extends SparkTestBase {
    static final int B = 8;

    static ModelSpec spec(double weightDecay) {
        return new ModelSpec("conv4", 0.25, 8, 8, 32, 0, new Adam(new WarmupCosineSchedule(100, 0, 1e-2, 0.0)),
                weightDecay);
    }

    /** Without a schedule the run's progress is unknown (0): the momentum is exactly the base. */
    static ModelSpec unscheduled() {
        return new ModelSpec("conv4", 0.25, 8, 8, 32, 0, new Adam(1e-2), 0);
    }

    static List<MultiDataSet> batches(PretextMethod m, int n) {
        ViewsBatchSource src = new ViewsBatchSource(jsc.parallelize(ViewsBatchSourceTest.images(n * B), 1), B,
                AugmentSpec.simclr(8), ViewsBatchSourceTest.MEAN, ViewsBatchSourceTest.STD, 3, m);
        return src.epoch(0).collect();
    }

    static List<INDArray> twinCopies(ComputationGraph g) {
        List<INDArray> out = new ArrayList<>();
        TargetTwin.pairs(g).forEach(p -> out.add(p[1].dup()));
        return out;
    }

    @Test
    void twinStartsAsACopyAndGetsNoGradientNoUpdateAndNoWeightDecay() {
        PretextMethod m = Methods.withDefaults("byol");
        ComputationGraph g = m.build(spec(0.05), 1);
        List<INDArray[]> pairs = TargetTwin.pairs(g);
        // backbone convs + BNs, projector fc1/bn/fc2 have twins
        assertTrue(pairs.size() >= 10, "pairs: " + pairs.size());
        for (INDArray[] p : pairs) {
            assertEquals(p[0], p[1], "the twin starts as the online network");
        }
        List<INDArray> before = twinCopies(g);
        INDArray onlineBefore = pairs.get(0)[0].dup();
        for (MultiDataSet mds : batches(m, 3)) {
            g.fit(mds);     // no hook: only the gradient step runs
        }
        assertNotEquals(onlineBefore, pairs.get(0)[0], "the online network trained");
        List<INDArray> after = twinCopies(g);
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i), after.get(i), "twin parameter block " + i + " moved without an EMA step");
        }
    }

    @Test
    void twinForwardUsesBatchStatisticsLikeTheOnlineNetwork() {
        PretextMethod m = Methods.withDefaults("byol");
        ComputationGraph g = m.build(spec(0), 2);
        MultiDataSet mds = batches(m, 1).get(0);
        Map<String, INDArray> train = g.feedForward(mds.getFeatures(), true, false);
        assertEquals(train.get("proj_fc2"), train.get("t_proj_fc2"), "same parameters, training mode: same output");
        Map<String, INDArray> infer = g.feedForward(mds.getFeatures(), false, false);
        assertFalse(infer.get("t_proj_fc2").equalsWithEps(train.get("t_proj_fc2"), 1e-3),
                "training mode must use batch statistics, not the running ones");
    }

    @Test
    void oneParamavgStepInLocal2GivesExactlyTheEmaOfTheTwin() throws Exception {
        PretextMethod m = Methods.withDefaults("byol");
        ComputationGraph g = m.build(unscheduled(), 3);
        // move the online network away from the twin first, so the EMA is visible
        for (MultiDataSet mds : batches(m, 2)) {
            g.fit(mds);
        }
        List<INDArray> twinBefore = twinCopies(g);
        double base = ((Byol) m).momentum();
        TrainerSettings s = TrainerSettings.of(1, 2 * B).withAveragingFrequency(1).withHooks(m.stepHooks());
        try (DistributedTrainer t = DistributedTrainers.create("paramavg", s, jsc)) {
            assertEquals(1, t.fitEpochChunk(g, jsc.parallelize(batches(m, 1), 1)));
        }
        double mom = base;
        List<INDArray[]> pairs = TargetTwin.pairs(g);
        for (int i = 0; i < pairs.size(); i++) {
            INDArray expected = twinBefore.get(i).dup().muli(mom).addi(pairs.get(i)[0].mul(1 - mom));
            assertEquals(expected, pairs.get(i)[1], "twin block " + i + " is not m*old + (1-m)*online");
        }
    }

    /** Records the step count the paramavg worker's graph holds after each minibatch (local mode: same JVM). */
    static final class StepRecorder implements org.deeplearning4j.spark.api.TrainingHook {
        static final List<Integer> SEEN = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet d, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet d, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void preUpdate(MultiDataSet d, org.deeplearning4j.nn.api.Model m) {
        }

        @Override
        public void postUpdate(MultiDataSet d, org.deeplearning4j.nn.api.Model m) {
            SEEN.add(((ComputationGraph) m).getConfiguration().getIterationCount());
        }
    }

    @Test
    void theWorkerGraphCarriesTheDriversStepCountSoTheMomentumFollowsTheRun() throws Exception {
        PretextMethod m = Methods.withDefaults("byol");
        ComputationGraph g = m.build(spec(0), 6);
        g.getConfiguration().setIterationCount(10);
        StepRecorder.SEEN.clear();
        TrainerSettings s = TrainerSettings.of(1, 2 * B).withAveragingFrequency(2).withHooks(List.of(new StepRecorder()));
        try (DistributedTrainer t = DistributedTrainers.create("paramavg", s, jsc)) {
            assertEquals(4, t.fitEpochChunk(g, jsc.parallelize(batches(m, 4), 1)));
        }
        assertEquals(List.of(11, 12, 13, 14), StepRecorder.SEEN);
    }

    @Test
    void momentumRisesFromTheBaseToOneOnACosineOverTheSchedulesProgress() {
        assertEquals(0.99, EmaTargetHook.momentum(0.99, 0), 1e-15);
        assertEquals(0.995, EmaTargetHook.momentum(0.99, 0.5), 1e-12);
        assertEquals(1.0, EmaTargetHook.momentum(0.99, 1), 1e-15);
        assertEquals(1.0, EmaTargetHook.momentum(0.99, 2), 1e-15);
        ComputationGraph g = Methods.withDefaults("byol").build(spec(0), 5);
        g.getConfiguration().setIterationCount(25);
        EmaTargetHook hook = new EmaTargetHook(0.9);
        assertEquals(EmaTargetHook.momentum(0.9, 0.25), hook.step(g), 1e-15, "progress 25 of 100 steps");
    }

    @Test
    void twinAndQueueSurviveCheckpointAndResumeBitExactly(@TempDir Path dir) {
        PretextMethod m = Methods.create("mocov2", new MethodParams("mocov2", Methods.defaults("mocov2"))
                .with("queue-size", 64));
        ComputationGraph g = m.build(spec(0), 4);
        for (MultiDataSet mds : batches(m, 3)) {
            g.fit(mds);
            new EmaTargetHook(0.9).step(g);
        }
        TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, 1, 0, 1, 3, 1, 1.0, 4, null, "paramavg",
                Map.of());
        Checkpoints.write(dir, g, state, 2);
        ComputationGraph fresh = m.build(spec(0), 99);
        assertNotEquals(g.params(), fresh.params());
        Checkpoints.restoreInto(Checkpoints.findLatest(dir).orElseThrow(), fresh);
        assertEquals(g.params(), fresh.params(), "parameters, twin and queue restored bit-exactly");
        INDArray queue = g.getLayer("loss").getParam(MocoQueueLoss.QUEUE);
        assertEquals(queue, fresh.getLayer("loss").getParam(MocoQueueLoss.QUEUE));
        assertEquals(g.getLayer("loss").getParam(MocoQueueLoss.PTR), fresh.getLayer("loss").getParam(MocoQueueLoss.PTR));
        assertEquals(3 * 2 * B % 64, g.getLayer("loss").getParam(MocoQueueLoss.PTR).getInt(0), "3 steps of 16 keys");
        for (int i = 0; i < TargetTwin.pairs(g).size(); i++) {
            assertEquals(TargetTwin.pairs(g).get(i)[1], TargetTwin.pairs(fresh).get(i)[1]);
        }
    }
}
