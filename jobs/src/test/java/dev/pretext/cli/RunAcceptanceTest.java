package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.jobs.RunLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run is accepted (locked, its config checked) before anything in its directory changes and
 * before Spark starts: a refused resume leaves config.conf as it was, and a locked run is refused.
 */
class RunAcceptanceTest {
    @TempDir
    Path dir;

    private Path existingConv4Run() throws Exception {
        Path run = dir.resolve("runs/c1");
        Files.createDirectories(run);
        String conf = ConfigLoader.load(List.of(), List.of("model.backbone=conv4", "run.id=c1",
                "run.dir=\"" + dir.resolve("runs") + "\"")).render();
        Files.writeString(run.resolve("config.conf"), conf);
        return run;
    }

    @Test
    void aResumeThatChangesTheModelIsRefusedAndLeavesConfigUnchanged() throws Exception {
        Path run = existingConv4Run();
        String before = Files.readString(run.resolve("config.conf"));
        Captured c = run("pipeline", "--run-id", "c1", "--set", "run.dir=" + dir.resolve("runs"),
                "--set", "model.backbone=resnet18-cifar", "--set", "train.batch-size=64", "--set", "train.epochs=99");
        assertEquals(2, c.status, c.err);
        assertTrue(c.err.contains("error: run c1 cannot resume with a different model or data configuration"), c.err);
        assertTrue(c.err.contains("model.backbone was conv4, now resnet18-cifar"), c.err);
        assertTrue(c.err.contains("train.batch-size was 128, now 64"), c.err);
        assertFalse(c.err.contains("train.epochs was"), "train.epochs may change on resume: " + c.err);
        assertEquals(before, Files.readString(run.resolve("config.conf")), "config.conf is unchanged");
        assertFalse(Files.exists(run.resolve(RunLock.FILE)), "the lock is released after the refusal");
    }

    @Test
    void pretrainResumeWithAnotherModelIsRefusedAndLeavesConfigUnchanged() throws Exception {
        Path run = existingConv4Run();
        String before = Files.readString(run.resolve("config.conf"));
        // the stage takes data.format from the table's manifest first; the Parquet files are not needed
        String images = TableFormatAndOutputTest.table(dir.resolve("images-cifar10"), "cifar10");
        Captured c = run("pretrain", "--images", images, "--run", run.toString(), "--resume",
                "--set", "run.id=c1", "--set", "run.dir=" + dir.resolve("runs"), "--set", "model.width=0.5");
        assertEquals(2, c.status, c.err);
        assertTrue(c.err.contains("model.width was 0.25, now 0.5"), c.err);
        assertEquals(before, Files.readString(run.resolve("config.conf")));
    }

    @Test
    void aRunInUseIsRefusedBeforeAnythingChanges() throws Exception {
        Path run = existingConv4Run();
        String before = Files.readString(run.resolve("config.conf"));
        try (RunLock held = RunLock.acquire(run, "c1")) {
            Captured c = run("pipeline", "--run-id", "c1", "--set", "run.dir=" + dir.resolve("runs"),
                    "--set", "model.backbone=conv4");
            assertEquals(2, c.status, c.err);
            assertTrue(c.err.contains("error: run c1 is in use by another process (pid "
                    + ProcessHandle.current().pid() + ", host "), c.err);
            assertEquals(before, Files.readString(run.resolve("config.conf")));
            assertTrue(held.file().exists(), "the holder's lock stays");
        }
    }

    record Captured(int status, String err) {
    }

    static Captured run(String... argv) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int status = Main.run(argv);
            return new Captured(status, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }
}
