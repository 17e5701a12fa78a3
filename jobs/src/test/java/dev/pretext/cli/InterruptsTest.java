package dev.pretext.cli;

import dev.pretext.data.FsDir;
import dev.pretext.data.Manifest;
import dev.pretext.jobs.Pipeline;
import dev.pretext.train.Checkpoints;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Ctrl-C: the failure Spark's shutdown hook causes is reported as one line, exit 130, with the resume command. */
class InterruptsTest {
    @TempDir
    Path dir;

    @AfterEach
    void done() {
        Interrupts.finished();
    }

    private Path runWithCheckpointAndImages() throws Exception {
        Path run = dir.resolve("runs/simclr-cifar10-20261126-101010");
        Path ckpt = run.resolve(Checkpoints.DIR).resolve("epoch-0003-chunk-002");
        Files.createDirectories(ckpt);
        Files.write(ckpt.resolve(Checkpoints.MODEL), new byte[]{1});
        Files.writeString(ckpt.resolve(Checkpoints.STATE), """
                {"format_version": 1, "epochs_completed": 2, "chunks_completed": 2, "chunks_per_epoch": 4,
                 "iteration_count": 10, "epoch_count": 2, "elapsed_seconds": 12.5, "seed": 42, "rng_state": "",
                 "trainer": "paramavg", "method_state": {}}""");
        Files.createDirectories(run.resolve("images"));
        Files.writeString(run.resolve("images").resolve(Manifest.FILE_NAME), "{}");
        return run;
    }

    @Test
    void anInterruptedPipelineIsOneLineWithWhatWasKeptAndTheResumeCommand() throws Exception {
        Path run = runWithCheckpointAndImages();
        String[] argv = {"--conf", "conf/my exp.conf", "--set", "train.epochs=20"};
        Interrupts.started("pipeline");
        Interrupts.context(() -> PipelineCommand.keptAndResume(FsDir.local(run),
                PipelineCommand.resumeArgs("pipeline", argv, "", FsDir.local(run))));
        Interrupts.markInterrupted();   // what the early shutdown hook does on Ctrl-C
        assertTrue(Interrupts.interrupted());

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status = Main.failed("pipeline", new SparkException(
                "Job 17 cancelled because SparkContext was shut down"), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(130, status);
        assertEquals(1, out.lines().count(), out);
        assertEquals("interrupted: 'pipeline' stopped; kept checkpoint checkpoints/epoch-0003-chunk-002 and the images"
                + " table in " + run + "; resume with: bin/pretext pipeline --conf 'conf/my exp.conf' --set"
                + " train.epochs=20 --run-id simclr-cifar10-20261126-101010", out.strip());

        // printed once, whichever of the main thread and the late hook comes first
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        Interrupts.report(new PrintStream(again, true, StandardCharsets.UTF_8));
        assertEquals("", again.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutTheFlagAFailureIsStillAnInternalError() {
        Interrupts.started("pipeline");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status = Main.failed("pipeline", new SparkException("boom"), new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(1, status);
        assertTrue(buf.toString(StandardCharsets.UTF_8).startsWith("internal error in 'pipeline'"));
        Interrupts.finished();
        Interrupts.markInterrupted();
        assertFalse(Interrupts.interrupted(), "a shutdown after the command finished is the normal exit");
    }

    @Test
    void nothingKeptSaysSoAndAnExplicitRunIdIsNotRepeated() {
        Path run = dir.resolve("runs/c1");
        String line = PipelineCommand.keptAndResume(FsDir.local(run),
                PipelineCommand.resumeArgs("pipeline", new String[]{"--run-id", "c1"}, "c1", FsDir.local(run)));
        assertEquals("nothing was kept yet (no images table or checkpoint); run it again with: bin/pretext pipeline"
                + " --run-id c1", line);
    }

    @Test
    void aResumeSaysWhatItResumesFrom() throws Exception {
        Path run = runWithCheckpointAndImages();
        assertEquals("checkpoint epoch-0003-chunk-002 (2 epochs + 2/4 chunks done), images table reused",
                Pipeline.resumePoint(FsDir.local(run)));
    }

    @Test
    void quoting() {
        assertEquals("bin/pretext a 'b c' 'it'\\''s' --set=x", Interrupts.commandLine(List.of("a", "b c", "it's", "--set=x")));
    }
}
