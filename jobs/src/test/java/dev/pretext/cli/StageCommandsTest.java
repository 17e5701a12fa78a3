package dev.pretext.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The stages one command at a time, as a user scripts them: synth, ingest, augment (materialised
 * views), pretrain from those views, features with baselines, probe.
 */
class StageCommandsTest {
    @TempDir
    Path dir;

    @Test
    void stagesChainThroughTheirTables() throws Exception {
        String data = dir.resolve("cifar").toString();
        String images = dir.resolve("images").toString();
        String views = dir.resolve("views").toString();
        String run = dir.resolve("run").toString();
        String features = dir.resolve("features").toString();
        String[] common = {"--set", "spark.master=local[2]", "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.batch-size=32", "--set", "train.epochs=1", "--set", "train.chunks-per-epoch=1"};

        assertEquals(0, Main.run(new String[]{"synth", "--format", "cifar10", "--out", data, "--train", "128", "--test", "64"}));
        assertTrue(Files.isRegularFile(Path.of(data, "data_batch_5.bin")));
        assertEquals(0, Main.run(new String[]{"ingest", "--dataset", "cifar10", "--input", data, "--out", images,
                "--shards", "1", "--master", "local[2]"}));
        assertEquals(2, Main.run(new String[]{"ingest", "--dataset", "cifar10", "--input", data, "--out", images,
                "--master", "local[2]"}), "an existing table is not overwritten without --overwrite");

        assertEquals(0, Main.run(concat(new String[]{"augment", "--images", images, "--out", views, "--epochs", "1"}, common)));
        JsonNode vm = new ObjectMapper().readTree(Path.of(views, "_manifest.json").toFile());
        assertEquals(256, vm.path("rows").asLong(), "128 train images x 1 epoch x 2 views");

        assertEquals(0, Main.run(concat(new String[]{"pretrain", "--images", images, "--views", views, "--run", run}, common)));
        assertTrue(Files.isRegularFile(Path.of(run, "checkpoints/epoch-0001/model.zip")));
        assertTrue(Files.isRegularFile(Path.of(run, "summary.json")));

        assertEquals(0, Main.run(new String[]{"features", "--run", run, "--images", images, "--out", features,
                "--baselines", "--set", "spark.master=local[2]"}));
        for (String rep : new String[]{"pretrained", "random_init", "raw_pixels"}) {
            JsonNode m = new ObjectMapper().readTree(Path.of(features, rep, "_manifest.json").toFile());
            assertEquals(192, m.path("rows").asLong(), rep);
        }
        JsonNode pm = new ObjectMapper().readTree(Path.of(features, "raw_pixels", "_manifest.json").toFile());
        assertEquals(32, pm.path("extra").path("raw_pixels_size").asInt(), "the raw-pixel reduction is recorded");

        Path json = dir.resolve("probe.json");
        assertEquals(0, Main.run(new String[]{"probe", "--features", features + "/pretrained", "--json", json.toString(),
                "--set", "spark.master=local[2]", "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]",
                "--set", "eval.knn-k=10"}));
        JsonNode p = new ObjectMapper().readTree(json.toFile());
        double top1 = p.path("linear_top1").asDouble(-1);
        assertTrue(top1 >= 0 && top1 <= 1, "linear_top1 " + top1);
        assertEquals(64, p.path("test_count").asLong());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
