package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.spark.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An evaluation that fails after the others succeeded loses nothing: the report keeps their rows. */
class PipelinePartialFailureTest {
    @TempDir
    Path dir;

    @Test
    void aFailedRawPixelBaselineStillWritesTheReportWithTheOtherRowsAndFails() throws Exception {
        PretextConfig cfg = ConfigLoader.load(List.of(), List.of(
                "run.dir=" + dir, "run.id=partial", "spark.master=\"local[2]\"",
                "data.synth.train-images=256", "data.synth.test-images=64", "data.shards=2",
                "model.backbone=conv4", "model.width=0.25", "train.epochs=1", "train.batch-size=32",
                "train.chunks-per-epoch=1", "eval.max-iter=10", "eval.reg-grid=[0.01]", "eval.knn-k=10",
                "eval.monitor.train-images=64", "eval.monitor.test-images=32"));
        Pipeline p = new Pipeline(cfg, (name, evaluation) -> {
            if (name.equals(FeaturesStage.RAW_PIXELS)) {
                throw new OutOfMemoryError("Java heap space (injected by the test)");
            }
            evaluation.run();
        });
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "partial-failure-test");
        UserError e;
        try (var lock = p.open()) {
            e = assertThrows(UserError.class, () -> p.run(spark));
        } finally {
            spark.stop();
        }
        assertTrue(e.getMessage().contains("raw_pixels") && e.getMessage().contains("PRETEXT_HEAP")
                && e.getMessage().contains("report.md"), e.getMessage());
        Path run = dir.resolve("partial");
        JsonNode r = new ObjectMapper().readTree(run.resolve("report.json").toFile());
        assertEquals("failed", r.path("status").asText());
        assertTrue(r.at("/failures/raw_pixels").asText().contains("out of memory"), r.toString());
        assertTrue(r.at("/probe/linear_top1").isNumber(), "the pre-trained row is kept");
        assertTrue(r.at("/baselines/random_init/linear_top1").isNumber(), "the random-init row is kept");
        assertTrue(r.at("/baselines/raw_pixels").isMissingNode());
        assertTrue(r.at("/timings/pretrain").isNumber());
        assertEquals("epochs", r.at("/pretrain/bound").asText());
        assertTrue(r.at("/pretrain/monitor_knn_top1").isNumber(), "the kNN monitor ran: " + r.at("/pretrain"));
        String md = Files.readString(run.resolve("report.md"));
        assertTrue(md.contains("Status: failed") && md.contains("raw_pixels"), md);
        assertTrue(md.contains("random-init"), md);
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertTrue(metrics.get(0).contains("knn_top1"), metrics.get(0));
    }
}
