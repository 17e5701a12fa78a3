package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.cli.CompareCommandTest.Out;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImagesTable;
import dev.pretext.spark.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning through the real command line (in-process) on a tiny synthetic run made by the
 * pipeline: the pipeline's own fine-tuning (eval.finetune.fractions) in report.json and report.md,
 * the {@code finetune} command's JSON file and table, and its refusals.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FineTuneCommandTest {
    @TempDir
    static Path dir;

    static final List<String> TINY = List.of("--set", "spark.master=local[2]",
            "--set", "data.synth.train-images=128", "--set", "data.synth.test-images=64", "--set", "data.shards=2",
            "--set", "model.backbone=conv4", "--set", "model.width=0.25",
            "--set", "train.epochs=1", "--set", "train.batch-size=16", "--set", "train.chunks-per-epoch=1",
            "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=5",
            "--set", "eval.monitor.train-images=0", "--set", "eval.baselines=false",
            "--set", "eval.finetune.epochs=2", "--set", "eval.finetune.batch-size=16");

    /** {@code head}, the tiny settings, then {@code tail} (a later --set wins). */
    static String[] args(List<String> head, String... tail) {
        List<String> a = new ArrayList<>(head);
        a.addAll(TINY);
        a.addAll(List.of(tail));
        return a.toArray(new String[0]);
    }

    @Test
    @Order(1)
    void thePipelineFineTunesEachFractionIntoTheReport() throws Exception {
        Out o = CompareCommandTest.run(args(List.of("pipeline"), "--set", "run.dir=" + dir, "--set", "run.id=ft",
                "--set", "eval.finetune.fractions=[0.5]"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("finetune 0.5 pretrained: epoch 2/2"), o.err());
        assertTrue(o.err().contains("finetune 0.5 random_init: epoch 2/2"), o.err());
        JsonNode r = new ObjectMapper().readTree(dir.resolve("ft/report.json").toFile());
        assertEquals("complete", r.path("status").asText(), r.toString());
        JsonNode f = r.path("finetune").path("0.5");
        for (String enc : List.of("pretrained", "random_init")) {
            for (String k : List.of("top1", "top5", "last_top1", "last_top5")) {
                double v = f.path(enc).path(k).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, enc + "." + k + " = " + f.path(enc).path(k) + " in " + f);
            }
            assertEquals(64, f.path(enc).path("test_images").asInt(), f.toString());
            assertEquals(2, f.path(enc).path("validation_top1").size(), f.toString());
            int epoch = f.path(enc).path("selected_epoch").asInt();
            assertTrue(epoch == 1 || epoch == 2, f.toString());
        }
        // 0.5 of each class's training images, 10% of those held out: about 64 images in all
        int train = f.path("train_images").asInt(), val = f.path("validation_images").asInt();
        assertTrue(train + val >= 54 && train + val <= 74 && val >= 1 && val < train, f.toString());
        assertEquals(0.5, f.path("labels_fraction").asDouble(), 0.0);
        assertEquals(10, f.path("classes").asInt());
        assertTrue(f.path("linear_probe").path("pretrained").path("top1").isNumber(),
                "the run's frozen probe beside it: " + f);
        assertTrue(Files.isRegularFile(dir.resolve("ft/finetune-0.5.json")));
        String md = Files.readString(dir.resolve("ft/report.md"));
        assertTrue(md.contains("fine-tuned encoder") && md.contains("pre-trained conv4 (simclr)")
                && md.contains("50% (") && md.contains("random-init conv4"), md);
        assertTrue(o.out().contains("fine-tuned encoder"), "the printed summary has the fine-tuning rows: " + o.out());
    }

    @Test
    @Order(2)
    void theCommandWritesItsJsonAndPrintsFineTunedBesideRandomInitAndTheProbe() throws Exception {
        Out o = CompareCommandTest.run(args(List.of("finetune", "--run", dir.resolve("ft").toString(),
                "--labels-fraction", "0.25"), "--set", "eval.finetune.epochs=1"));
        assertEquals(0, o.status(), o.err());
        JsonNode f = new ObjectMapper().readTree(dir.resolve("ft/finetune-0.25.json").toFile());
        assertEquals(0.25, f.path("labels_fraction").asDouble(), 0.0);
        assertEquals(1, f.path("epochs").asInt());
        // about 3 images per class: 10% of 3 rounds to none, so nothing is held out and the last epoch is kept
        assertEquals(0, f.path("validation_images").asInt(), f.toString());
        assertEquals(1, f.at("/pretrained/selected_epoch").asInt());
        assertEquals(f.at("/pretrained/top1").asDouble(), f.at("/pretrained/last_top1").asDouble(), 0.0);
        assertTrue(f.at("/random_init/top1").isNumber(), f.toString());
        assertEquals("conv4", f.path("backbone").asText());
        assertTrue(o.out().contains("pre-trained conv4 (simclr)") && o.out().contains("random-init conv4")
                && o.out().contains("linear probe, frozen pre-trained") && o.out().contains("25% ("), o.out());
        assertTrue(o.err().contains("wrote " + dir.resolve("ft/finetune-0.25.json")), o.err());
        assertFalse(Files.exists(dir.resolve("ft/.lock")), "the run's lock is released");
    }

    @Test
    @Order(3)
    void badFractionsARunWithoutACheckpointAndATableWithoutLabelsAreRefused() throws Exception {
        String run = dir.resolve("ft").toString();
        for (String bad : List.of("0", "1.5", "-0.1")) {
            Out o = CompareCommandTest.run("finetune", "--run", run, "--labels-fraction", bad);
            assertEquals(2, o.status(), bad + ": " + o.err());
            assertTrue(o.err().contains("outside (0, 1]"), o.err());
        }
        Out nan = CompareCommandTest.run("finetune", "--run", run, "--labels-fraction", "ten");
        assertEquals(2, nan.status());
        assertTrue(nan.err().contains("is not a number"), nan.err());
        Out missing = CompareCommandTest.run("finetune", "--run", run);
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--labels-fraction"), missing.err());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Out none = CompareCommandTest.run("finetune", "--run", empty.toString(), "--labels-fraction", "0.1");
        assertEquals(2, none.status());
        assertTrue(none.err().contains("has no complete checkpoint"), none.err());
        Out gone = CompareCommandTest.run("finetune", "--run", dir.resolve("nope").toString(), "--labels-fraction", "0.1");
        assertEquals(2, gone.status());
        assertTrue(gone.err().contains("does not exist"), gone.err());

        // the run's images with every label removed
        String unlabelled = dir.resolve("unlabelled").toString();
        SparkSession spark = SparkSessions.getOrCreate("local[2]", "finetune-test");
        try {
            ImagesTable.write(spark, ImagesTable.readRecords(spark, run + "/images", null).map(r ->
                    new ImageRecord(r.id(), r.split(), -1, -1, r.height(), r.width(), r.channels(), r.encoding(),
                            r.data(), r.source())), unlabelled, 1, "test", "cifar10", Map.of(), false);
        } finally {
            spark.stop();
        }
        Out nolabels = CompareCommandTest.run(args(List.of("finetune", "--run", run, "--labels-fraction", "0.5",
                "--images", unlabelled)));
        assertEquals(2, nolabels.status(), nolabels.err());
        assertTrue(nolabels.err().contains("has no labelled train images"), nolabels.err());
        assertFalse(Files.exists(dir.resolve("ft/finetune-0.5.json.tmp")));
    }

    @Test
    @Order(4)
    void theHelpNamesTheOptions() {
        Out o = CompareCommandTest.run("finetune", "--help");
        assertEquals(0, o.status());
        assertTrue(o.out().contains("--labels-fraction F") && o.out().contains("--run DIR")
                && o.out().contains("--images TABLE"), o.out());
        assertTrue(CompareCommandTest.run("--help").out().contains("finetune"));
    }
}
