package dev.pretext.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.eval.EncoderTransformer;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The whole pipeline on a tiny synthetic dataset through the real command line (in-process). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineEndToEndTest {
    @TempDir
    static Path dir;

    static String[] pipeline(String runId, String... extra) {
        List<String> a = new ArrayList<>(List.of("pipeline",
                "--set", "run.dir=" + dir.resolve("runs"), "--set", "run.id=" + runId,
                "--set", "spark.master=local[2]",
                "--set", "data.synth.train-images=256", "--set", "data.synth.test-images=64", "--set", "data.shards=2",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=2", "--set", "train.batch-size=32", "--set", "train.chunks-per-epoch=1",
                "--set", "eval.max-iter=15", "--set", "eval.reg-grid=[0.001, 0.1]", "--set", "eval.knn-k=20"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    @Order(1)
    void wholePipelineWritesTheReportWithEveryDocumentedKey() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(captured, true));
            status = Main.run(pipeline("e2e"));
        } finally {
            System.setOut(old);
        }
        assertEquals(0, status);
        String stdout = captured.toString();
        assertTrue(stdout.contains("linear top-1") && stdout.contains("random-init") && stdout.contains("raw pixels"), stdout);

        Path run = dir.resolve("runs/e2e");
        JsonNode r = new ObjectMapper().readTree(run.resolve("report.json").toFile());
        for (String key : List.of("method", "backbone", "width", "dataset.format", "dataset.train_images",
                "dataset.test_images", "pretrain.trainer", "pretrain.epochs", "pretrain.seconds",
                "pretrain.images_per_s", "pretrain.final_loss", "probe.linear_top1", "probe.linear_top5",
                "probe.knn_top1", "baselines.random_init.linear_top1", "baselines.raw_pixels.linear_top1")) {
            JsonNode n = r;
            for (String p : key.split("\\.")) {
                n = n.path(p);
            }
            assertFalse(n.isMissingNode() || n.isNull(), "report.json lacks " + key);
        }
        assertEquals("simclr", r.path("method").asText());
        assertEquals("cifar10", r.path("dataset").path("format").asText());
        assertEquals(256, r.path("dataset").path("train_images").asInt());
        assertEquals(64, r.path("dataset").path("test_images").asInt());
        assertEquals(2, r.path("pretrain").path("epochs").asInt());
        for (String p : List.of("probe", "baselines/random_init", "baselines/raw_pixels")) {
            JsonNode n = r.at("/" + p);
            for (String k : List.of("linear_top1", "linear_top5", "knn_top1")) {
                double v = n.path(k).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, p + "." + k + " = " + v);
            }
            assertTrue(n.path("linear_top5").asDouble() >= n.path("linear_top1").asDouble());
        }
        assertTrue(Double.isFinite(r.path("pretrain").path("final_loss").asDouble()));
        assertTrue(Files.isRegularFile(run.resolve("report.md")));
        String html = Files.readString(run.resolve("report.html"));
        for (String png : List.of("curve-loss.png", "tsne.png", "confusion.png", "views.png")) {
            assertTrue(Files.size(run.resolve("report-plots").resolve(png)) > 0, png);
            assertTrue(html.contains("data-plot=\"" + png + "\""), "report.html lacks " + png);
        }
        assertFalse(html.contains("class=\"error\""), "a part of report.html failed");
        assertEquals(10, r.path("probe").path("confusion").size(), "the probe's confusion matrix, 10 classes");
        assertTrue(Files.isRegularFile(run.resolve("config.conf")));
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/epoch-0002/model.zip")));
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size());
        JsonNode last = new ObjectMapper().readTree(metrics.get(1));
        for (String k : List.of("loss", "lr", "images_per_s", "embedding_std", "effective_rank")) {
            assertTrue(last.has(k), "metrics.jsonl lacks " + k);
        }
        assertTrue(Files.isRegularFile(run.resolve("images/_manifest.json")));
        try (Stream<Path> s = Files.list(run)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temporary directories left");
        }
    }

    @Test
    @Order(2)
    void rerunWithTheSameRunIdResumesInsteadOfRetraining() throws Exception {
        Path run = dir.resolve("runs/e2e");
        assertEquals(0, Main.run(pipeline("e2e", "--set", "train.epochs=3")));
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(3, metrics.size(), "one more epoch appended to the two already trained");
        JsonNode r = new ObjectMapper().readTree(run.resolve("report.json").toFile());
        assertEquals(3, r.path("pretrain").path("epochs").asInt());
    }

    @Test
    @Order(3)
    void badInputIsAClearErrorAndLeavesNoRun() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true));
            assertEquals(2, Main.run(pipeline("bad", "--set", "data.input=" + dir.resolve("does-not-exist"))));
            assertEquals(2, Main.run(pipeline("bad2", "--set", "train.trainer=horovod")));
            assertEquals(2, Main.run(new String[]{"pipeline", "--conf", dir.resolve("missing.conf").toString()}));
            assertEquals(2, Main.run(new String[]{"nonsense"}));
            assertEquals(2, Main.run(new String[]{"ingest", "--dataset", "cifar10", "--bogus", "x"}));
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString();
        assertTrue(e.contains("does-not-exist"), e);
        assertTrue(e.contains("train.trainer") && e.contains("paramavg|shared"), e);
        assertTrue(e.contains("missing.conf"), e);
        assertTrue(e.contains("unknown command 'nonsense'"), e);
        assertTrue(e.contains("--bogus"), e);
        assertFalse(Files.exists(dir.resolve("runs/bad")), "a run that failed before it had data is removed");
        assertFalse(Files.exists(dir.resolve("runs/bad2")), "a config error stops before anything is written");
    }

    @Test
    @Order(4)
    void everyCommandHasHelp() {
        for (String c : List.of("quickstart", "pipeline", "synth", "ingest", "augment", "pretrain", "features", "probe",
                "inspect", "bench")) {
            assertEquals(0, Main.run(new String[]{c, "--help"}), c);
        }
    }

    @Test
    @Order(5)
    void theRunsEncoderAsASparkMlTransformerGivesTheFeaturesTableAndItsSavedProbeTheReportedAccuracy()
            throws Exception {
        Path run = dir.resolve("runs/e2e");
        JsonNode report = new ObjectMapper().readTree(run.resolve("report.json").toFile());
        SparkSession spark = SparkSessions.getOrCreate("local[2]", "e2e-spark-ml");
        try {
            Dataset<Row> images = spark.read().parquet(run.resolve("images").toString())
                    .where("label >= 0 AND split IN ('train', 'test')");
            Map<String, double[]> table = new HashMap<>();
            for (Row r : spark.read().parquet(run.resolve("features/pretrained").toString())
                    .select("id", "vector").collectAsList()) {
                table.put(r.getString(0), ((Vector) r.get(1)).toArray());
            }
            // the run directory as a Transformer: its latest checkpoint, the method's encoder, the run's normalisation
            EncoderTransformer encoder = EncoderTransformer.fromModel(run.toString(), 32, 32);
            assertEquals("embedding", encoder.getLayer());
            List<Row> vectors = encoder.transform(images).select("id", "features").collectAsList();
            assertEquals(table.size(), vectors.size());
            assertEquals(320, vectors.size());
            for (Row r : vectors) {
                assertArrayEquals(table.get(r.getString(0)), ((Vector) r.get(1)).toArray(), 1e-6, r.getString(0));
            }
            // the pipeline saved encoder + fitted linear probe as one MLlib PipelineModel
            PipelineModel model = PipelineModel.load(run.resolve("spark-ml").toString());
            assertInstanceOf(EncoderTransformer.class, model.stages()[0]);
            EncoderTransformer saved = (EncoderTransformer) model.stages()[0];
            assertArrayEquals(encoder.getMean(), saved.getMean(), 0.0);
            assertArrayEquals(encoder.getStd(), saved.getStd(), 0.0);
            List<Row> predicted = model.transform(images.where("split = 'test'")).select("label", "prediction")
                    .collectAsList();
            assertEquals(64, predicted.size());
            long right = predicted.stream().filter(r -> r.getInt(0) == (int) r.getDouble(1)).count();
            assertEquals(report.path("probe").path("linear_top1").asDouble(), right / 64.0, 1e-9,
                    "the saved PipelineModel predicts as the run's linear probe did");
        } finally {
            spark.stop();
        }
    }

    @Test
    @Order(10)
    void imageFolderFormatIngestsAJpegFolderAndScoresOnVal() throws Exception {
        assertEquals(0, Main.run(pipeline("folder", "--set", "data.format=imagefolder",
                "--set", "data.synth.image-size=32", "--set", "ingest.resize=\"shorter:32\"", "--set", "train.epochs=1",
                "--set", "eval.baselines=false")));
        Path run = dir.resolve("runs/folder");
        JsonNode r = new ObjectMapper().readTree(run.resolve("report.json").toFile());
        assertEquals("imagefolder", r.path("dataset").path("format").asText());
        assertEquals("val", r.path("dataset").path("test_split").asText());
        assertEquals(256, r.path("dataset").path("train_images").asInt());
        assertEquals(64, r.path("dataset").path("test_images").asInt());
        double top1 = r.path("probe").path("linear_top1").asDouble(-1);
        assertTrue(top1 >= 0 && top1 <= 1, "linear_top1 " + top1);
        JsonNode m = new ObjectMapper().readTree(run.resolve("images/_manifest.json").toFile());
        assertEquals("jpeg", m.path("extra").path("encoding").asText());
        assertEquals(10, m.path("extra").path("classes").size());
    }
}
