package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Damaged checkpoints, planted: the newest {@code model.zip} truncated or deleted. A resume skips
 * it, says which and why, and continues from the previous complete checkpoint; a checkpoint write
 * leaves no temporary directory and points {@code latest} at a checkpoint that loads.
 */
class CheckpointFaultsTest extends SparkTestBase {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private TrainingRun.Builder run(Path dir, int epochs, long seed) {
        return TrainingRun.builder().net(TinyProblem.net(new Adam(0.02), seed))
                .source(new TrainingRunTest.Source(List.of()))
                .trainer(DistributedTrainers.create("paramavg",
                        TrainerSettings.of(2, TrainingRunTest.BATCH).withAveragingFrequency(2), jsc))
                .epochs(epochs).runDir(dir).monitorBatch(TrainingRunTest.MONITOR).embeddingLayer("embedding")
                .chunksPerEpoch(2).seed(5).progress(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    private static List<String> metricsEpochs(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(MetricsLog.FILE)).stream()
                .map(l -> l.replaceAll(".*\"epoch\":(\\d+),\"chunk\":(\\d+).*", "$1.$2")).toList();
    }

    /** Two epochs trained: checkpoints epoch-0001 and epoch-0002, four metrics rows. */
    private Path trainedTwoEpochs(String name) {
        Path dir = tmp.resolve(name);
        RunSummary s = run(dir, 2, 3).build().run();
        assertEquals("epoch-0002", s.lastCheckpoint());
        return dir;
    }

    @Test
    void aTruncatedModelZipInTheLatestCheckpointIsSkippedAndTheResumeSaysSo() throws IOException {
        Path dir = trainedTwoEpochs("truncated");
        Path zip = dir.resolve("checkpoints/epoch-0002/model.zip");
        byte[] whole = Files.readAllBytes(zip);
        Files.write(zip, Arrays.copyOf(whole, whole.length / 2));   // a copy cut short, still non-empty
        // what a reader that only looks at the files sees: the damaged one is still the newest
        assertEquals("epoch-0002", Checkpoints.findLatest(dir).orElseThrow().name());

        log.reset();
        RunSummary r = run(dir, 3, 4).resume(true).build().run();
        assertEquals(RunSummary.COMPLETED, r.stoppedReason());
        assertEquals(3, r.epochsCompleted());
        String out = log();
        assertTrue(out.contains("skipped the newer checkpoint(s) epoch-0002 (checkpoint ")
                && out.contains("model.zip cannot be read") && out.contains("; using epoch-0001"), out);
        assertTrue(out.contains("resuming from checkpoint epoch-0001: 1 epoch(s)"), out);
        // epoch 2 was trained again (its rows of the first attempt dropped), then epoch 3
        assertEquals(List.of("1.1", "1.2", "2.1", "2.2", "3.1", "3.2"), metricsEpochs(dir));
        // the damaged checkpoint was replaced by a good one
        ComputationGraph net = TinyProblem.net(new Adam(0.02), 9);
        for (String name : List.of("epoch-0002", "epoch-0003")) {
            Checkpoints.Checkpoint c = new Checkpoints.Checkpoint(
                    dev.pretext.data.FsDir.local(dir.resolve("checkpoints").resolve(name)),
                    Checkpoints.findLatest(dir).orElseThrow().state());
            assertEquals(net.numParams(), Checkpoints.read(c, true).numParams(), name);
        }
        assertEquals("epoch-0003", Files.readString(dir.resolve("checkpoints/latest")).trim());
    }

    @Test
    void aDeletedModelZipInTheLatestCheckpointIsSkippedAndTheResumeSaysSo() throws IOException {
        Path dir = trainedTwoEpochs("deleted");
        Files.delete(dir.resolve("checkpoints/epoch-0002/model.zip"));
        assertEquals("epoch-0001", Checkpoints.findLatest(dir).orElseThrow().name());

        log.reset();
        RunSummary r = run(dir, 2, 4).resume(true).build().run();
        assertEquals(2, r.epochsCompleted());
        assertEquals("epoch-0002", r.lastCheckpoint());
        String out = log();
        assertTrue(out.contains("skipped the newer checkpoint(s) epoch-0002 (model.zip is missing); using epoch-0001"),
                out);
        assertEquals(List.of("1.1", "1.2", "2.1", "2.2"), metricsEpochs(dir));
        assertTrue(Files.size(dir.resolve("checkpoints/epoch-0002/model.zip")) > 0);
    }

    @Test
    void noReadableCheckpointIsAnErrorNotAFreshStart() throws IOException {
        Path dir = trainedTwoEpochs("none");
        for (String name : List.of("epoch-0001", "epoch-0002")) {
            Files.write(dir.resolve("checkpoints").resolve(name).resolve("model.zip"), "not a zip".getBytes());
        }
        UserError e = assertThrows(UserError.class, () -> run(dir, 3, 4).resume(true).build().run());
        assertTrue(e.getMessage().startsWith("no checkpoint of ") && e.getMessage().contains("epoch-0002 (")
                && e.getMessage().contains("epoch-0001 ("), e.getMessage());
        // nothing was trained or rewritten
        assertEquals(List.of("1.1", "1.2", "2.1", "2.2"), metricsEpochs(dir));
    }

    @Test
    void aWriteLeavesNoTemporaryDirectoryAndLatestNamesACheckpointThatLoads() throws IOException {
        Path dir = trainedTwoEpochs("clean");
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
            assertEquals(List.of("epoch-0001", "epoch-0002", "latest"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // a crash between the writes of the files and the rename: a complete-looking .tmp- directory
        // of a later position is never chosen
        Path crashed = dir.resolve("checkpoints/.tmp-crashed");
        Files.createDirectories(crashed);
        Files.copy(dir.resolve("checkpoints/epoch-0002/model.zip"), crashed.resolve("model.zip"));
        Files.writeString(crashed.resolve("trainer-state.json"),
                Files.readString(dir.resolve("checkpoints/epoch-0002/trainer-state.json"))
                        .replace("\"epochs_completed\" : 2", "\"epochs_completed\" : 7"));
        Checkpoints.Checkpoint c = Checkpoints.findLatest(dir).orElseThrow();
        assertEquals("epoch-0002", c.name());
        assertEquals(Files.readString(dir.resolve("checkpoints/latest")).trim(), c.name());
        assertNotNull(Checkpoints.read(c, true));
    }
}
