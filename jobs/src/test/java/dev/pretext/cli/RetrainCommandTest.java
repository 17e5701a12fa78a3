package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pretext.jobs.RunLock;
import dev.pretext.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retrain} through the real command line (in-process) on one registry and a tiny synthetic
 * table, cycle after cycle: the first trains from scratch and becomes champion; the next warm-starts
 * from it and passes a generous gate; a candidate held to a negative margin and a diverged one are
 * not promoted, with the reason; a cycle killed between training and promotion (a planted failure)
 * leaves the champion pointer as it was; keep-last-N prunes old versions but never the champion.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetrainCommandTest {
    @TempDir
    static Path dir;

    static Path registry() {
        return dir.resolve("registry");
    }

    static String[] retrain(String... extra) {
        List<String> a = new ArrayList<>(List.of("retrain", "--registry", registry().toString(),
                "--set", "spark.master=local[2]",
                "--set", "data.synth.train-images=256", "--set", "data.synth.test-images=64", "--set", "data.shards=2",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=1", "--set", "train.batch-size=32", "--set", "train.chunks-per-epoch=1",
                "--set", "eval.max-iter=15", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=20",
                "--set", "eval.monitor.train-images=0"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    static ModelRegistry reg() {
        return ModelRegistry.at(registry().toString());
    }

    @AfterEach
    void noHookAndNoLockLeft() {
        RetrainCommand.faults = dev.pretext.jobs.Retrain.Faults.NONE;
        assertFalse(Files.exists(registry().resolve(RunLock.FILE)), "the registry lock is released after every cycle");
    }

    @Test
    @Order(1)
    void theFirstRetrainTrainsFromScratchAndBecomesChampion() throws Exception {
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("retrain: promoted v0001: no champion yet"), o.out());
        assertEquals("v0001", reg().champion().orElseThrow().version());

        JsonNode r = reg().record("v0001");
        assertEquals(ModelRegistry.PROMOTED, r.path("status").asText());
        assertTrue(r.path("parent").isNull());
        assertTrue(r.path("warm_start").path("from").isNull());
        assertEquals("no champion yet", r.path("warm_start").path("why_not").asText());
        // lineage: the data snapshot, the config, the code
        assertEquals(registry().resolve("images").toString(), r.path("data").path("images").asText());
        assertTrue(r.path("data").path("fingerprint").asText().matches("[0-9a-f]{16}-320"), r.path("data").toString());
        assertEquals(256, r.path("data").path("counts").path("train").asInt());
        assertEquals(64, r.path("data").path("counts").path("test").asInt());
        assertEquals(r.path("data").path("fingerprint").asText(), r.path("holdout").path("fingerprint").asText());
        assertFalse(r.path("code_version").asText().isBlank());
        String conf = Files.readString(registry().resolve("versions/v0001/config.conf"));
        assertTrue(conf.contains("margin") && conf.contains("conv4"), conf);
        // trained and scored
        assertEquals(1, r.path("training").path("epochs").asInt());
        assertEquals("completed", r.path("training").path("stopped_reason").asText());
        double top1 = r.path("metrics").path("linear_top1").asDouble(-1);
        assertTrue(top1 >= 0 && top1 <= 1, r.toString());
        assertTrue(r.path("gate").path("promoted").asBoolean());
        assertTrue(Files.isRegularFile(registry().resolve("versions/v0001/checkpoints/epoch-0001/model.zip")));
        assertFalse(Files.exists(registry().resolve("versions/v0001/holdout")), "holdout features are removed");
    }

    @Test
    @Order(2)
    void theNextRetrainWarmStartsFromTheChampionAndAGenerousGatePromotesIt() throws Exception {
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain("--set", "retrain.margin=1"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("warm start from champion v0001, checkpoint epoch-0001 (weights and optimiser state)"),
                o.err());
        assertTrue(o.out().contains("retrain: promoted v0002: linear_top1 "), o.out());
        JsonNode r = reg().record("v0002");
        assertEquals("v0001", r.path("parent").asText());
        assertEquals("v0001", r.path("warm_start").path("from").asText());
        assertEquals("epoch-0001", r.path("warm_start").path("checkpoint").asText());
        // the champion was scored on the same holdout with the same settings: its scores are v0001's own
        JsonNode champ = r.path("champion_metrics");
        assertEquals("v0001", champ.path("version").asText());
        assertEquals(reg().record("v0001").path("metrics").path("linear_top1").asDouble(),
                champ.path("linear_top1").asDouble(), 0.0);
        assertEquals("v0002", reg().champion().orElseThrow().version());
        assertEquals(List.of("v0001"), reg().champion().orElseThrow().previous());
    }

    @Test
    @Order(3)
    void aCandidateHeldToANegativeMarginIsNotPromotedAndSaysWhy() throws Exception {
        byte[] before = Files.readAllBytes(registry().resolve(ModelRegistry.CHAMPION));
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain("--set", "retrain.margin=-1"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("retrain: kept champion v0002; v0003 not promoted: linear_top1 "), o.out());
        assertTrue(o.out().contains("+ 1.0000 required by the negative margin): worse than the champion by more than the margin"),
                o.out());
        JsonNode r = reg().record("v0003");
        assertEquals(ModelRegistry.REJECTED, r.path("status").asText());
        assertFalse(r.path("gate").path("promoted").asBoolean());
        assertEquals(-1.0, r.path("gate").path("margin").asDouble(), 0.0);
        assertArrayEquals(before, Files.readAllBytes(registry().resolve(ModelRegistry.CHAMPION)), "the pointer did not move");
    }

    @Test
    @Order(4)
    void aDivergedCandidateIsNotPromotedWhateverTheMargin() throws Exception {
        // SGD at learning rate 100 with weight decay 1: w <- w - 100 (g + w) grows ~99x a step until it overflows
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain("--set", "retrain.margin=1",
                "--set", "retrain.warm-start=false", "--set", "train.optimizer=sgd", "--set", "train.lr=100",
                "--set", "train.weight-decay=1", "--set", "train.warmup-epochs=0", "--set", "train.epochs=4"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("retrain: kept champion v0002; v0004 not promoted: training diverged: "), o.out());
        JsonNode r = reg().record("v0004");
        assertEquals(ModelRegistry.REJECTED, r.path("status").asText());
        assertEquals("diverged", r.path("training").path("stopped_reason").asText());
        assertEquals("retrain.warm-start = false", r.path("warm_start").path("why_not").asText());
        assertFalse(r.has("metrics"), "a diverged candidate is not scored");
        assertEquals("v0002", reg().champion().orElseThrow().version());
    }

    @Test
    @Order(5)
    void aCycleKilledBetweenTrainingAndPromotionLeavesTheChampionUntouched() throws Exception {
        byte[] before = Files.readAllBytes(registry().resolve(ModelRegistry.CHAMPION));
        RetrainCommand.faults = v -> {
            throw new IllegalStateException("planted failure: " + v + " killed before promotion");
        };
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain("--set", "retrain.margin=1"));
        assertEquals(1, o.status(), o.out() + o.err());
        assertTrue(o.err().contains("planted failure: v0005 killed before promotion"), o.err());
        assertArrayEquals(before, Files.readAllBytes(registry().resolve(ModelRegistry.CHAMPION)), "the pointer did not move");
        JsonNode r = reg().record("v0005");
        assertTrue(r.path("gate").path("promoted").asBoolean(), "the gate had passed it: only the failure kept it out");
        assertEquals(ModelRegistry.FAILED, r.path("status").asText());
        assertTrue(r.path("error").asText().contains("planted failure"), r.toString());
        assertEquals(2, reg().history().size(), "two promotions in the history, nothing more");
    }

    @Test
    @Order(6)
    void keepLastNDeletesOldVersionsButNeverTheChampionNorTheRollbackTarget() throws Exception {
        CompareCommandTest.Out o = RegistryCommandTest.run(retrain("--set", "retrain.margin=1", "--set", "retrain.keep=2"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().contains("retrain: promoted v0006"), o.out());
        // champion v0006, rollback target v0002, the newest two v0005 and v0006
        assertEquals(List.of("v0002", "v0005", "v0006"), reg().versions());
        assertTrue(o.err().contains("deleted v0001, v0003, v0004"), o.err());
        assertEquals("v0002", reg().record("v0006").path("warm_start").path("from").asText());
        CompareCommandTest.Out list = RegistryCommandTest.run("registry", "list", "--registry", registry().toString());
        assertTrue(list.out().contains("* v0006"), list.out());
        assertTrue(list.out().contains("error: "), "the killed cycle's version shows its error:\n" + list.out());
        CompareCommandTest.Out back = RegistryCommandTest.run("registry", "rollback", "--registry", registry().toString());
        assertEquals(0, back.status(), back.err());
        assertEquals("v0002", reg().champion().orElseThrow().version());
    }
}
