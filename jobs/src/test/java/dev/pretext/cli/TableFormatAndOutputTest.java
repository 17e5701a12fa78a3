package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImageRows;
import dev.pretext.data.Manifest;

/**
 * Stage commands take data.format from the images table's manifest (so STL-10's unlabeled split and
 * normalisation apply) and refuse a config naming another format; commands that write a table refuse
 * an existing output before starting any work. No Spark: all of it happens before Spark starts.
 */
class TableFormatAndOutputTest {
    private static final float[] STL_MEAN = {0.4467f, 0.4398f, 0.4066f};

    /** An images-table manifest of the given format, as ingest writes it (the Parquet files are not needed). */
    static String table(Path dir, String format) {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("train", 50L);
        counts.put("test", 80L);
        counts.put("unlabeled", 100L);
        Manifest.create(ImageRows.SCHEMA_VERSION, "images", format, List.of(), counts, 230, 0, Map.of())
                .write(new Configuration(), dir.toString());
        return dir.toString();
    }

    /** --conf and --set as picocli parses them for a command. */
    private static ConfigOptions args(String... argv) {
        ConfigOptions c = new ConfigOptions();
        new picocli.CommandLine(c).parseArgs(argv);
        return c;
    }

    @Test
    void stageConfigTakesTheFormatOfTheImagesTable(@TempDir Path dir) {
        String t = table(dir.resolve("stl"), "stl10");
        PretextConfig c = ConfigArgs.loadForTable(args(), Map.of(), t);
        assertEquals("stl10", c.dataFormat);
        assertEquals(List.of("train", "unlabeled"), c.pretrainSplits);
        assertArrayEquals(STL_MEAN, c.mean);
        // a config that agrees, and settings that do not touch the format, still apply
        PretextConfig agree = ConfigArgs.loadForTable(args("--conf", "../conf/stl10-simclr.conf",
                "--set", "data.format=stl10", "--set", "train.epochs=3"), Map.of(), t);
        assertEquals("stl10", agree.dataFormat);
        assertEquals(3, agree.epochs);
        // a CIFAR-10 table still gets CIFAR-10's layer
        PretextConfig cifar = ConfigArgs.loadForTable(args(), Map.of(), table(dir.resolve("c10"), "cifar10"));
        assertEquals(List.of("train"), cifar.pretrainSplits);
    }

    @Test
    void aConfigContradictingTheTableIsRefused(@TempDir Path dir) {
        String t = table(dir.resolve("stl"), "stl10");
        UserError set = assertThrows(UserError.class,
                () -> ConfigArgs.loadForTable(args("--set", "data.format=cifar10"), Map.of(), t));
        assertTrue(set.getMessage().contains("--set data.format=cifar10"), set.getMessage());
        assertTrue(set.getMessage().contains("stl10"), set.getMessage());
        UserError file = assertThrows(UserError.class,
                () -> ConfigArgs.loadForTable(args("--conf", "../conf/cifar10-simclr.conf"), Map.of(), t));
        assertTrue(file.getMessage().contains("cifar10-simclr.conf"), file.getMessage());
        // through the CLI: exit 2 with the message, before any Spark work
        Result r = run("augment", "--images", t, "--out", dir.resolve("views").toString(),
                "--set", "data.format=cifar10");
        assertEquals(2, r.status, r.err);
        assertTrue(r.err.contains("holds stl10 images"), r.err);
    }

    @Test
    void pipelineWithDataTableTakesItsFormat(@TempDir Path dir) {
        String t = table(dir.resolve("stl"), "stl10");
        ConfigOptions a = args("--set", "data.table=" + t);
        PretextConfig c = ConfigArgs.loadPipeline(a, Map.of("run.id", "r1"));
        assertEquals("r1", c.runId);
        assertEquals("stl10", c.dataFormat);
        assertEquals(List.of("train", "unlabeled"), c.pretrainSplits);
        ConfigOptions bad = args("--conf", "../conf/cifar10-simclr.conf", "--set", "data.table=" + t);
        assertThrows(UserError.class, () -> ConfigArgs.loadPipeline(bad, Map.of()));
    }

    @Test
    void featuresKeepTheRunsNormalisationButTheTablesFormat(@TempDir Path dir) throws Exception {
        String t = table(dir.resolve("stl"), "stl10");
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("config.conf"), ConfigLoader.load(List.of(), List.of()).render());
        ConfigOptions a = args();
        PretextConfig c = FeaturesCommand.runConfig(dev.pretext.data.FsDir.local(run), a, t);
        assertEquals("stl10", c.dataFormat);
        assertEquals(0.4914f, c.mean[0], 0f); // the encoder was trained with CIFAR-10's normalisation
        // without a saved config, the table's dataset layer
        assertArrayEquals(STL_MEAN, FeaturesCommand.runConfig(dev.pretext.data.FsDir.local(dir.resolve("none")), a, t).mean);
    }

    @Test
    void commandsThatWriteATableRefuseAnExistingOutputFirst(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("exists"));
        Files.createDirectories(out.resolve("pretrained"));
        String missing = dir.resolve("no-such-table").toString(); // reading it would fail differently, later
        List<String[]> cmds = List.of(
                new String[]{"patches", "--images", missing, "--out", out.toString()},
                new String[]{"describe", "--images", missing, "--out", out.toString()},
                new String[]{"augment", "--images", missing, "--out", out.toString()},
                new String[]{"ingest", "--dataset", "cifar10", "--input", missing, "--out", out.toString()},
                new String[]{"features", "--run", dir.resolve("run").toString(), "--images", missing,
                        "--out", out.toString()});
        for (String[] argv : cmds) {
            long t0 = System.nanoTime();
            Result r = run(argv);
            assertEquals(2, r.status, argv[0] + ": " + r.err);
            assertTrue(r.err.contains("already exists") && r.err.contains("--overwrite"), argv[0] + ": " + r.err);
            assertTrue((System.nanoTime() - t0) / 1e9 < 5, argv[0] + " took too long to refuse");
        }
    }

    record Result(int status, String err) {
    }

    static Result run(String... argv) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true));
            int s = Main.run(argv);
            return new Result(s, err.toString());
        } finally {
            System.setErr(old);
        }
    }
}
