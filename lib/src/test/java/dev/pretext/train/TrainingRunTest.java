package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

class TrainingRunTest extends SparkTestBase {
    static final int BATCH = 16;
    static final int BATCHES = 8;
    static final MultiDataSet MONITOR = TinyProblem.batches(99, 1, 64).get(0);

    @TempDir
    Path tmp;

    /** 8 minibatches in 4 partitions per epoch; epochs listed in nanEpochs get NaN features. */
    record Source(List<Integer> nanEpochs) implements BatchSource {
        @Override
        public JavaRDD<MultiDataSet> epoch(int epoch) {
            List<MultiDataSet> data = TinyProblem.batches(1000 + epoch, BATCHES, BATCH);
            if (nanEpochs.contains(epoch)) {
                data.forEach(d -> d.getFeatures(0).putScalar(0, 0, Double.NaN));
            }
            return jsc.parallelize(data, 4);
        }

        @Override
        public long imagesPerEpoch() {
            return (long) BATCHES * BATCH;
        }
    }

    private TrainingRun.Builder run(ComputationGraph net, Path dir, int epochs) {
        return TrainingRun.builder().net(net).source(new Source(List.of()))
                .trainer(DistributedTrainers.create("paramavg", TrainerSettings.of(2, BATCH).withAveragingFrequency(2), jsc))
                .epochs(epochs).runDir(dir).monitorBatch(MONITOR).embeddingLayer("embedding")
                .chunksPerEpoch(2).seed(5).progress(System.err);
    }

    private static List<JsonNode> metrics(Path dir) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(MetricsLog.FILE))) {
            out.add(m.readTree(line));
        }
        return out;
    }

    private static String latest(Path dir) throws IOException {
        return Files.readString(dir.resolve("checkpoints").resolve("latest")).trim();
    }

    @Test
    void trainsCheckpointsAndResumesAtTheNextEpoch() throws IOException {
        Path dir = tmp.resolve("run");
        ComputationGraph net = TinyProblem.net(new Adam(0.02), 3);
        double before = net.score(MONITOR);
        RunSummary s = run(net, dir, 2).build().run();
        assertEquals(RunSummary.COMPLETED, s.stoppedReason());
        assertEquals(2, s.epochsCompleted());
        assertEquals("epoch-0002", s.lastCheckpoint());
        assertEquals("epoch-0002", latest(dir));
        assertTrue(Files.isRegularFile(dir.resolve("checkpoints/epoch-0001/model.zip")));
        assertTrue(s.finalLoss() < 0.7 * before, before + " -> " + s.finalLoss());
        assertTrue(s.imagesPerS() > 0);
        List<JsonNode> m = metrics(dir);
        assertEquals(4, m.size());
        JsonNode last = m.get(3);
        assertEquals(2, last.get("epoch").asInt());
        assertEquals(2, last.get("chunk").asInt());
        // 16 minibatches over 2 workers = 8 synchronous steps
        assertEquals(8, last.get("step").asInt());
        assertEquals(0.02, last.get("lr").asDouble(), 1e-9);
        assertEquals(s.finalLoss(), last.get("loss").asDouble(), 1e-6);
        for (String k : List.of("images_per_s", "embedding_std", "effective_rank", "elapsed_s")) {
            assertTrue(last.get(k).asDouble() > 0, k + " in " + last);
        }
        assertTrue(last.get("effective_rank").asDouble() <= 8.0 + 1e-9);
        JsonNode state = new ObjectMapper().readTree(dir.resolve("checkpoints/epoch-0002/trainer-state.json").toFile());
        assertEquals(2, state.get("epochs_completed").asInt());
        assertEquals(0, state.get("chunks_completed").asInt());
        assertEquals(8, state.get("iteration_count").asInt());
        assertEquals(5, state.get("seed").asLong());
        assertEquals("paramavg", state.get("trainer").asText());

        // resume with a fresh network object and one more epoch
        ComputationGraph again = TinyProblem.net(new Adam(0.02), 4);
        RunSummary r = run(again, dir, 3).resume(true).build().run();
        assertEquals(RunSummary.COMPLETED, r.stoppedReason());
        assertEquals(3, r.epochsCompleted());
        List<JsonNode> m2 = metrics(dir);
        assertEquals(6, m2.size());
        assertEquals(m.get(0).toString(), m2.get(0).toString()); // appended, not rewritten
        assertEquals(3, m2.get(4).get("epoch").asInt());
        assertEquals(1, m2.get(4).get("chunk").asInt());
        assertEquals(12, m2.get(5).get("step").asInt());
        assertTrue(m2.get(5).get("elapsed_s").asDouble() > last.get("elapsed_s").asDouble());
        assertEquals("epoch-0003", latest(dir));

        // resuming a finished run trains nothing more
        RunSummary done = run(TinyProblem.net(new Adam(0.02), 4), dir, 3).resume(true).build().run();
        assertEquals(RunSummary.COMPLETED, done.stoppedReason());
        assertEquals(6, metrics(dir).size());

        // a run directory with checkpoints is not silently overwritten
        UserError e = assertThrows(UserError.class, () -> run(TinyProblem.net(new Adam(0.02), 4), dir, 3).build().run());
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
    }

    @Test
    void checkpointRoundTripRestoresParamsUpdaterAndCounts() {
        ComputationGraph net = TinyProblem.net(new Adam(0.01), 3);
        for (MultiDataSet d : TinyProblem.batches(5, 3, BATCH)) {
            net.fit(d);
        }
        net.getConfiguration().setEpochCount(2);
        TrainerState state = new TrainerState(1, 2, 0, 1, net.getConfiguration().getIterationCount(), 2, 12.5, 7,
                null, "paramavg", Map.of("queue_pos", 3));
        Path written = Checkpoints.write(tmp, net, state, 3);
        assertEquals("epoch-0002", written.getFileName().toString());
        Checkpoints.Checkpoint c = Checkpoints.findLatest(tmp).orElseThrow();
        assertEquals(state, c.state());
        ComputationGraph fresh = TinyProblem.net(new Adam(0.01), 99);
        assertNotEquals(net.params(), fresh.params());
        Checkpoints.restoreInto(c, fresh);
        assertEquals(net.params(), fresh.params());
        assertEquals(net.getUpdater().getStateViewArray(), fresh.getUpdater().getStateViewArray());
        assertEquals(3, fresh.getConfiguration().getIterationCount());
        assertEquals(2, fresh.getConfiguration().getEpochCount());
        // and the restored net keeps training exactly like the original
        MultiDataSet d = TinyProblem.batches(6, 1, BATCH).get(0);
        net.fit(d);
        fresh.fit(d);
        assertEquals(net.params(), fresh.params());
    }

    @Test
    void incompleteCheckpointsAreIgnored() throws IOException {
        ComputationGraph net = TinyProblem.net(new Adam(0.01), 3);
        Checkpoints.write(tmp, net, new TrainerState(1, 1, 0, 1, 4, 1, 1.0, 7, null, "paramavg", Map.of()), 0);
        Path root = tmp.resolve("checkpoints");
        // a crashed write (a complete-looking .tmp dir) and a later epoch without its model
        Path crashed = root.resolve(".tmp-123");
        Files.createDirectories(crashed);
        Files.copy(root.resolve("epoch-0001/model.zip"), crashed.resolve("model.zip"));
        Files.writeString(crashed.resolve("trainer-state.json"),
                Files.readString(root.resolve("epoch-0001/trainer-state.json")).replace("\"epochs_completed\" : 1", "\"epochs_completed\" : 9"));
        Path noModel = root.resolve("epoch-0005");
        Files.createDirectories(noModel);
        Files.writeString(noModel.resolve("trainer-state.json"),
                Files.readString(root.resolve("epoch-0001/trainer-state.json")).replace("\"epochs_completed\" : 1", "\"epochs_completed\" : 5"));
        Path badState = root.resolve("epoch-0006");
        Files.createDirectories(badState);
        Files.copy(root.resolve("epoch-0001/model.zip"), badState.resolve("model.zip"));
        Files.writeString(badState.resolve("trainer-state.json"), "{\"epochs_comp");
        assertEquals("epoch-0001", Checkpoints.findLatest(tmp).orElseThrow().name());
    }

    @Test
    void nanLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path dir = tmp.resolve("nan");
        TrainingRun r = run(TinyProblem.net(new Adam(0.02), 3), dir, 3).source(new Source(List.of(1))).build();
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, r::run);
        assertTrue(e.getMessage().contains("diverged"), e.getMessage());
        assertEquals(RunSummary.DIVERGED, e.summary().stoppedReason());
        assertEquals(1, e.summary().epochsCompleted());
        assertEquals("epoch-0001", latest(dir));
        assertFalse(Files.exists(dir.resolve("checkpoints/epoch-0002")));
        try (var s = Files.list(dir.resolve("checkpoints"))) {
            assertEquals(List.of("epoch-0001", "latest"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        List<JsonNode> m = metrics(dir);
        assertEquals(3, m.size());
        assertTrue(m.get(2).get("loss").isNull(), m.get(2).toString());
        assertTrue(Files.readString(dir.resolve("summary.json")).contains("\"stopped_reason\" : \"diverged\""));
    }

    @Test
    void collapsedEmbeddingStopsTheRun() {
        // a threshold no embedding can pass makes every check "collapsed": stop after `patience` chunks
        TrainingRun r = run(TinyProblem.net(new Adam(0.02), 3), tmp.resolve("c"), 3).collapse(10.0, 2).build();
        TrainingStoppedException e = assertThrows(TrainingStoppedException.class, r::run);
        assertEquals(RunSummary.COLLAPSED, e.summary().stoppedReason());
        assertTrue(e.getMessage().contains("collapsed"), e.getMessage());
        // the 2nd low check comes at the end of epoch 1, before its checkpoint: a collapsed model is never saved
        assertEquals(0, e.summary().epochsCompleted());
        assertNull(e.summary().lastCheckpoint());
        assertTrue(Checkpoints.findLatest(tmp.resolve("c")).isEmpty());
    }

    @Test
    void timeBudgetStopsAfterTheChunkAndResumeContinuesMidEpoch() throws IOException {
        Path dir = tmp.resolve("budget");
        RunSummary s = run(TinyProblem.net(new Adam(0.02), 3), dir, 5).maxSeconds(1e-3).build().run();
        assertEquals(RunSummary.TIME_BUDGET, s.stoppedReason());
        assertEquals(0, s.epochsCompleted());
        assertEquals(1, s.chunksCompleted());
        assertEquals("epoch-0001-chunk-001", latest(dir));
        assertEquals(1, metrics(dir).size());

        RunSummary r = run(TinyProblem.net(new Adam(0.02), 3), dir, 5).maxSeconds(1e-3).resume(true).build().run();
        assertEquals(RunSummary.TIME_BUDGET, r.stoppedReason());
        assertEquals(1, r.epochsCompleted());
        assertEquals("epoch-0001", latest(dir));
        List<JsonNode> m = metrics(dir);
        assertEquals(2, m.size());
        assertEquals(1, m.get(1).get("epoch").asInt());
        assertEquals(2, m.get(1).get("chunk").asInt());
        assertEquals(4, m.get(1).get("step").asInt());
    }

    @Test
    void aReplacedScheduleIsWhatTheWorkersTrainWith() {
        ComputationGraph net = TinyProblem.net(new Adam(0.02), 3);
        org.nd4j.linalg.api.ndarray.INDArray before = net.params().dup();
        assertEquals(2, Schedules.set(net, new org.nd4j.linalg.schedule.FixedSchedule(0.0)));
        try (DistributedTrainer t = DistributedTrainers.create("paramavg",
                TrainerSettings.of(2, BATCH).withAveragingFrequency(2), jsc)) {
            t.fitEpochChunk(net, new Source(List.of()).epoch(0));
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
        assertEquals(before, net.params(), "a zero learning rate set on the driver reached the workers");
        assertEquals(0.0, TrainingRun.learningRate(net, 3, 0), 0.0);
    }

    @Test
    void aTimeBoundedRunFitsItsScheduleToTheBudgetAndLogsTheMonitor() throws IOException {
        Path dir = tmp.resolve("fit");
        double peak = 0.02;
        BudgetSchedule initial = BudgetSchedule.start(0.1, peak, 0.0, 100_000);
        ComputationGraph net = TinyProblem.net(new Adam(initial), 3);
        int[] calls = {0};
        EncoderMonitor monitor = new EncoderMonitor() {
            public String metric() { return "knn_top1"; }
            public double evaluate(ComputationGraph n) { return ++calls[0] / 100.0; }
        };
        RunSummary s = run(net, dir, 100_000).maxSeconds(8).epochBoundedSteps(400_000)
                .encoderMonitor(monitor).build().run();
        assertEquals(RunSummary.TIME_BUDGET, s.stoppedReason());
        assertEquals("time", s.bound());
        BudgetSchedule last = (BudgetSchedule) Schedules.of(net).orElseThrow();
        assertTrue(last.getAnchorStep() > 0, last.toString());
        assertTrue(last.getTotalSteps() < 100_000, "refitted to the budget: " + last);
        assertTrue(s.schedule().contains("BudgetSchedule"), s.schedule());
        List<JsonNode> m = metrics(dir);
        assertEquals(calls[0], m.size());
        assertEquals(calls[0] / 100.0, s.knnTop1(), 1e-12);
        assertEquals(m.size() / 100.0, m.get(m.size() - 1).get("knn_top1").asDouble(), 1e-12);
        double maxLr = m.stream().mapToDouble(r -> r.get("lr").asDouble()).max().orElseThrow();
        double lastLr = m.get(m.size() - 1).get("lr").asDouble();
        assertTrue(maxLr > 0.5 * peak, "warm-up reached near the peak: " + maxLr);
        assertTrue(lastLr < 0.3 * peak, "decayed by the end of the budget: " + lastLr);
        assertTrue(s.seconds() < 8 + 5, "ran " + s.seconds() + " s of an 8 s budget");

        // a resume brings a new budget: the finished schedule restarts (warm-up, decay) instead of
        // training at its floor
        ComputationGraph again = TinyProblem.net(new Adam(BudgetSchedule.start(0.1, peak, 0.0, 100_000)), 4);
        run(again, dir, 100_000).maxSeconds(4).epochBoundedSteps(400_000).resume(true).build().run();
        List<JsonNode> after = metrics(dir).subList(m.size(), metrics(dir).size());
        assertFalse(after.isEmpty());
        double maxAfter = after.stream().mapToDouble(r -> r.get("lr").asDouble()).max().orElseThrow();
        // Whether the first run's schedule had reached its end depends on the machine's speed (the
        // budget planner stops it when no further chunk fits): finished, the resume is a warm restart;
        // interrupted, it spreads the rest of the decay over the new budget.
        double endProgress = last.progress(net.getConfiguration().getIterationCount());
        if (endProgress >= 0.999) {
            assertTrue(maxAfter > 0.3 * peak, "the resumed run trained at a real learning rate: " + maxAfter);
        } else {
            assertTrue(maxAfter <= maxLr + 1e-12 && maxAfter > 0, "the rest of the decay: " + maxAfter
                    + " after progress " + endProgress);
        }
    }

    @Test
    void aResumeDropsTheMetricsOfTheAttemptAfterItsCheckpoint() throws IOException {
        Path dir = tmp.resolve("trunc");
        run(TinyProblem.net(new Adam(0.02), 3), dir, 1).build().run();
        // rows of an attempt that crashed after its checkpoint (epoch 2, no checkpoint written)
        new MetricsLog(dir).append(Map.of("epoch", 2, "chunk", 1, "chunks", 2));
        assertEquals(3, metrics(dir).size());
        run(TinyProblem.net(new Adam(0.02), 3), dir, 2).resume(true).build().run();
        List<JsonNode> m = metrics(dir);
        assertEquals(4, m.size());
        assertEquals(List.of("1/1", "1/2", "2/1", "2/2"), m.stream()
                .map(r -> r.get("epoch").asInt() + "/" + r.get("chunk").asInt()).toList());
        assertTrue(m.get(2).has("loss"), "the re-run row, not the crashed one: " + m.get(2));
    }

    @Test
    void learningRateComesFromTheSchedule() {
        WarmupCosineSchedule sch = new WarmupCosineSchedule(100, 10, 0.1, 0.0);
        ComputationGraph net = TinyProblem.net(new Adam(sch), 1);
        assertEquals(sch.valueAt(0, 0), TrainingRun.learningRate(net, 0, 0), 0.0);
        assertEquals(sch.valueAt(55, 0), TrainingRun.learningRate(net, 55, 0), 0.0);
    }

    @Test
    void unknownEmbeddingLayerIsAUserError() {
        UserError e = assertThrows(UserError.class,
                () -> run(TinyProblem.net(new Adam(0.02), 3), tmp, 1).embeddingLayer("projector").build());
        assertTrue(e.getMessage().contains("embedding"), e.getMessage());
    }
}
