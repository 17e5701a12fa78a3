package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.jobs.RunLock;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver killed with SIGKILL mid-epoch (issue 12, part 7): {@code pipeline} runs in a child JVM
 * on tiny synthetic data and is killed ({@link Process#destroyForcibly}: SIGKILL, no shutdown hook
 * runs) once {@code metrics.jsonl} shows a chunk of epoch 2, after the checkpoint of epoch 1. A
 * half-written checkpoint is planted beside it (a {@code .tmp-} directory with a truncated
 * {@code model.zip}, as a kill during a checkpoint write leaves). The same command then resumes:
 * it takes over the dead process's lock, starts from epoch-0001 (never the partial one), drops the
 * metrics rows of the killed attempt, and finishes every epoch and the evaluation.
 */
class DriverKillResumeTest {
    @TempDir
    Path dir;

    private List<String> pipeline() {
        return List.of("pipeline", "--set", "run.dir=" + dir.resolve("runs"), "--set", "run.id=killed",
                "--set", "spark.master=local[2]",
                "--set", "data.synth.train-images=512", "--set", "data.synth.test-images=64", "--set", "data.shards=4",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=2", "--set", "train.batch-size=32", "--set", "train.chunks-per-epoch=4",
                "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=10",
                "--set", "eval.baselines=false", "--set", "eval.monitor.train-images=0");
    }

    /** The test JVM's flags for Spark and DL4J on Java 17, at -Xmx2g. */
    private static List<String> jvm() {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || (a.startsWith("-D") && !a.startsWith("-Dbasedir"))) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }

    @Test
    void aDriverKilledMidEpochResumesFromTheLastCompleteCheckpointAndFinishes() throws Exception {
        Path run = dir.resolve("runs/killed");
        Path metrics = run.resolve("metrics.jsonl");
        List<String> cmd = jvm();
        cmd.addAll(pipeline());
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        boolean midEpoch2 = false;
        try {
            while (!midEpoch2 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                if (Files.isRegularFile(metrics) && Files.isDirectory(run.resolve("checkpoints/epoch-0001"))) {
                    for (String line : Files.readAllLines(metrics)) {
                        if (!line.isBlank() && line.endsWith("}") && json.readTree(line).path("epoch").asInt() == 2) {
                            midEpoch2 = true;
                        }
                    }
                }
            }
        } finally {
            child.destroyForcibly();   // SIGKILL
            child.waitFor(60, TimeUnit.SECONDS);
        }
        assertTrue(midEpoch2, "the child never reached epoch 2; its output:\n" + Files.readString(log));
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        assertFalse(Files.exists(run.resolve("checkpoints/epoch-0002")), "killed before epoch 2 ended");
        assertTrue(Files.readString(run.resolve(RunLock.FILE)).contains("pid=" + child.pid()), "the dead driver's lock is left");
        long epoch2Rows = Files.readAllLines(metrics).stream().filter(l -> l.contains("\"epoch\":2")).count();
        assertTrue(epoch2Rows >= 1);
        // what a kill during a checkpoint write leaves: a .tmp- directory with a truncated model
        Path partial = run.resolve("checkpoints/.tmp-0b6f6c8e-killed");
        Files.createDirectories(partial);
        byte[] model = Files.readAllBytes(run.resolve("checkpoints/epoch-0001/model.zip"));
        Files.write(partial.resolve("model.zip"), java.util.Arrays.copyOf(model, model.length / 3));
        Files.copy(run.resolve("checkpoints/epoch-0001/trainer-state.json"), partial.resolve("trainer-state.json"));

        CompareCommandTest.Out o = RegistryCommandTest.run(pipeline().toArray(new String[0]));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("took over the lock of a process that is gone (pid " + child.pid()), o.err());
        assertTrue(o.err().contains("resuming run killed from checkpoint epoch-0001 (1 epochs done)"), o.err());
        assertTrue(o.err().contains("dropped " + epoch2Rows + " metrics row(s) of the interrupted attempt"), o.err());

        JsonNode summary = json.readTree(run.resolve("summary.json").toFile());
        assertEquals(2, summary.path("epochs_completed").asInt(), summary.toString());
        assertEquals("completed", summary.path("stopped_reason").asText());
        List<String> rows = Files.readAllLines(metrics).stream().filter(l -> !l.isBlank()).toList();
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        for (String l : rows) {
            JsonNode n = json.readTree(l);
            String at = n.path("epoch").asInt() + "." + n.path("chunk").asInt();
            assertTrue(seen.add(at), "metrics row " + at + " twice:\n" + String.join("\n", rows));
            order.add(at);
        }
        assertEquals(List.of("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4"), order);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/epoch-0002/model.zip")));
        assertEquals("complete", json.readTree(run.resolve("report.json").toFile()).path("status").asText());
        assertFalse(Files.exists(run.resolve(RunLock.FILE)));
    }
}
