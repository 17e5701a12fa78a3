package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.spark.SparkSessions;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A method other than SimCLR through the whole pipeline, with a per-layer probe; and a clean refusal. */
class MethodPipelineTest {
    @TempDir
    Path dir;

    static List<String> tiny(Path dir, String id) {
        return List.of("run.dir=" + dir, "run.id=" + id, "spark.master=\"local[2]\"",
                "data.synth.train-images=256", "data.synth.test-images=64", "data.shards=2",
                "model.backbone=conv4", "model.width=0.25", "train.epochs=1", "train.batch-size=32",
                "train.chunks-per-epoch=1", "eval.max-iter=10", "eval.reg-grid=[0.01]", "eval.knn-k=10",
                "eval.monitor.train-images=0", "eval.baselines=false");
    }

    @Test
    void msbregWithFourViewsRunsThePipelineAndProbesAStage() throws Exception {
        List<String> sets = new java.util.ArrayList<>(tiny(dir, "msb"));
        sets.addAll(List.of("method.name=msbreg", "method.msbreg.views=4", "eval.layers=[stage3]"));
        PretextConfig cfg = ConfigLoader.load(List.of(), sets);
        Pipeline p = new Pipeline(cfg);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "method-pipeline-test");
        try (var lock = p.open()) {
            p.run(spark);
        } finally {
            spark.stop();
        }
        JsonNode r = new ObjectMapper().readTree(dir.resolve("msb").resolve("report.json").toFile());
        assertEquals("msbreg", r.path("method").asText());
        assertTrue(r.at("/probe/linear_top1").isNumber(), r.toString());
        assertTrue(r.at("/layers/stage3/linear_top1").isNumber(), r.toString());
        assertEquals(32, r.at("/layers/stage3/features").asInt(), "stage 3 of conv4 x0.25, pooled: 32 channels");
    }

    @Test
    void anEmaMethodUnderSharedIsRefusedAtStartNamingTheAlternative() {
        List<String> sets = new java.util.ArrayList<>(tiny(dir, "byol-shared"));
        sets.addAll(List.of("method.name=byol", "train.trainer=shared"));
        PretextConfig cfg = ConfigLoader.load(List.of(), sets);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "method-pipeline-test");
        Pipeline p = new Pipeline(cfg);
        UserError e;
        try (var lock = p.open()) {
            e = assertThrows(UserError.class, () -> p.run(spark));
        } catch (java.io.IOException io) {
            throw new AssertionError(io);
        } finally {
            spark.stop();
        }
        assertTrue(e.getMessage().contains("byol") && e.getMessage().contains("shared")
                && e.getMessage().contains("paramavg"), e.getMessage());
    }

    @Test
    void methodKeysAreValidatedWhenTheConfigIsLoaded() {
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(),
                List.of("method.name=byol", "method.byol.momentum=2")));
        assertTrue(e.getMessage().contains("method.byol.momentum"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("method.byol.momentun=0.9")));
        assertTrue(e.getMessage().contains("method.byol.momentun"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("method.name=swav")));
        assertTrue(e.getMessage().contains("msbreg"), e.getMessage());
    }
}
