package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.FsDir;
import dev.pretext.train.BudgetSchedule;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.Schedules;
import dev.pretext.train.TrainerState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * {@link Retrain#warmStart}: the candidate gets the champion's weights and optimiser state, but its
 * own fresh learning-rate schedule and step count; a champion of another architecture is refused
 * with what to set; and the gate's arithmetic and its refusals of diverged and collapsed training.
 */
class RetrainWarmStartTest {
    @TempDir
    Path dir;

    private static PretextConfig cfg(String width) {
        return ConfigLoader.load(List.of(), List.of("model.backbone=conv4", "model.width=" + width,
                "train.max-seconds=60"));
    }

    private static ComputationGraph net(PretextConfig c) {
        return PretrainStage.buildNet(c, c.method(), 32, 32, PretrainStage.schedule(c, 100, 10, 10));
    }

    @Test
    void theCandidateStartsFromTheChampionsWeightsAndOptimiserStateWithItsOwnSchedule() {
        PretextConfig c = cfg("0.25");
        ComputationGraph champion = net(c);
        Nd4j.getRandom().setSeed(3);
        champion.params().assign(Nd4j.rand(champion.params().dataType(), champion.params().shape()));
        INDArray moments = champion.getUpdater(true).getStateViewArray();
        moments.assign(Nd4j.rand(moments.dataType(), moments.shape()));
        champion.getConfiguration().setIterationCount(40);
        FsDir run = FsDir.local(dir.resolve("v0001"));
        Checkpoints.write(run, champion, new TrainerState(TrainerState.FORMAT_VERSION, 5, 0, 1, 40, 4, 12.0, 42, null,
                "paramavg", Map.of()), 3);

        ComputationGraph candidate = net(c);
        ISchedule fresh = Schedules.of(candidate).orElseThrow();
        assertNotEquals(champion.params(), candidate.params());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String ckpt = Retrain.warmStart(candidate, run, "v0001", new PrintStream(log, true, StandardCharsets.UTF_8));

        assertEquals("epoch-0005", ckpt);
        assertEquals(champion.params(), candidate.params(), "the champion's weights");
        assertEquals(moments, candidate.getUpdater(true).getStateViewArray(), "the champion's optimiser state");
        assertEquals(0, candidate.getConfiguration().getIterationCount(), "the candidate's own step count");
        assertEquals(0, candidate.getConfiguration().getEpochCount());
        assertSame(fresh, Schedules.of(candidate).orElseThrow(), "the candidate's own budget schedule");
        assertTrue(fresh instanceof BudgetSchedule);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("warm start from champion v0001, checkpoint epoch-0005"));
    }

    @Test
    void aChampionOfAnotherArchitectureIsRefusedWithWhatToSet() {
        FsDir run = FsDir.local(dir.resolve("v0001"));
        ComputationGraph champion = net(cfg("0.25"));
        Checkpoints.write(run, champion, new TrainerState(TrainerState.FORMAT_VERSION, 1, 0, 1, 8, 0, 1.0, 42, null,
                "paramavg", Map.of()), 3);
        UserError e = assertThrows(UserError.class, () -> Retrain.warmStart(net(cfg("0.5")), run, "v0001",
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("cannot warm-start from champion v0001: checkpoint "), e.getMessage());
        assertTrue(e.getMessage().contains("retrain.warm-start = false"), e.getMessage());
    }

    @Test
    void theGateComparesWithTheMarginAndRefusesDivergedOrCollapsedTraining() {
        assertTrue(Retrain.gate("linear_top1", 0.01, 0.40, null, null).promote());
        Retrain.Decision within = Retrain.gate("linear_top1", 0.01, 0.395, 0.40, "v0001");
        assertTrue(within.promote(), within.reason());
        assertEquals("linear_top1 0.3950 >= 0.3900 (champion v0001's 0.4000 - margin 0.0100)", within.reason());
        Retrain.Decision worse = Retrain.gate("linear_top1", 0.01, 0.38, 0.40, "v0001");
        assertFalse(worse.promote());
        assertTrue(worse.reason().endsWith("worse than the champion by more than the margin"), worse.reason());
        assertTrue(Retrain.gate("knn_top1", 0.0, 0.40, 0.40, "v0001").promote(), "equal passes margin 0");
        assertFalse(Retrain.gate("knn_top1", -0.05, 0.44, 0.40, "v0001").promote(), "a negative margin asks for more");
        assertTrue(Retrain.gate("knn_top1", -0.05, 0.46, 0.40, "v0001").promote());
        assertFalse(Retrain.gate("linear_top1", 1, Double.NaN, 0.40, "v0001").promote());

        assertNull(Retrain.trainingVerdict("completed", "all epochs done", 0.04));
        assertNull(Retrain.trainingVerdict("time budget", "stopped", 0.04));
        assertFalse(Retrain.trainingVerdict("diverged", "loss NaN", Double.NaN).promote());
        assertTrue(Retrain.trainingVerdict("collapsed", "std 1e-6", 1e-6).reason().startsWith("training collapsed"));
        Retrain.Decision flat = Retrain.trainingVerdict("completed", "all epochs done", 2e-5);
        assertTrue(flat.reason().contains("std in the last chunk is 2.00e-05"), flat.reason());
    }
}
