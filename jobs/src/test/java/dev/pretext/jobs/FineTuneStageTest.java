package dev.pretext.jobs;

import dev.pretext.data.FsDir;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's fine-tuning bookkeeping without training: names and keys of fractions, a failed
 * fraction recorded like a failed evaluation while the next one still runs, the report's nesting.
 */
class FineTuneStageTest {
    @TempDir
    Path dir;

    @Test
    void fractionsAreNamedTheSameInFilesKeysAndFailures() {
        assertEquals("0.01", FinetuneStage.key(0.01));
        assertEquals("0.1", FinetuneStage.key(0.1));
        assertEquals("1.0", FinetuneStage.key(1.0));
        assertEquals("0.0001", FinetuneStage.key(1e-4));
        assertEquals("finetune-0.1", FinetuneStage.name(0.1));
        assertEquals(FsDir.local(dir.resolve("finetune-0.1.json")), FinetuneStage.file(FsDir.local(dir), 0.1));
    }

    @Test
    void aFailedFractionIsRecordedAndTheNextStillRuns() throws Exception {
        PretextConfig cfg = ConfigLoader.load(List.of(), List.of("eval.finetune.fractions=[0.01, 0.1]"));
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        List<String> statuses = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        FinetuneStage.inPipeline(null, cfg, "unused", FsDir.local(dir), results, failures, (name, evaluation) -> {
            ran.add(name);
            if (name.equals("finetune-0.01")) {
                throw new OutOfMemoryError("Java heap space (injected by the test)");
            }
        }, statuses::add);
        assertEquals(List.of("finetune-0.01", "finetune-0.1"), ran);
        assertEquals(List.of("evaluating finetune-0.01", "evaluating finetune-0.1"), statuses);
        assertEquals(List.of("finetune-0.01"), List.copyOf(failures.keySet()));
        assertTrue(failures.get("finetune-0.01").contains("out of memory") && failures.get("finetune-0.01")
                .contains("PRETEXT_HEAP"), failures.toString());
        assertEquals(List.of("0.01", "0.1"), List.copyOf(results.keySet()));

        // in the report: failures and fractions keep their dotted names as single keys
        RunReport r = new RunReport().put("status", "failed").put("backbone", "conv4").put("method", "simclr");
        r.put("finetune", results);
        failures.forEach((name, why) -> r.putKey("failures", name, why));
        r.write(dir);
        JsonNode j = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertTrue(j.path("failures").path("finetune-0.01").asText().contains("out of memory"), j.toString());
        assertTrue(j.path("finetune").path("0.01").path("failure").isTextual(), j.toString());
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("finetune-0.01: out of memory") && md.contains("failed: see failures"), md);
    }

    @Test
    void configKeysAreCheckedAndOffByDefault() {
        PretextConfig d = ConfigLoader.load(List.of(), List.of());
        assertEquals(List.of(), d.finetuneFractions, "no fine-tuning unless asked");
        assertEquals(0.1, d.finetuneValFraction, 0.0);
        assertEquals(0.5, d.finetuneCropScaleMin, 0.0);
        for (String bad : List.of("eval.finetune.fractions=[0]", "eval.finetune.fractions=[1.5]",
                "eval.finetune.fractions=[0.1, 0.1]", "eval.finetune.epochs=0", "eval.finetune.lr=0",
                "eval.finetune.augment.crop-scale-max=0.2", "eval.finetune.val-fraction=0.9")) {
            UserError e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of(bad)), bad);
            assertTrue(e.getMessage().contains("eval.finetune."), e.getMessage());
        }
        assertThrows(UserError.class, () -> FinetuneStage.run(null, d, "unused", FsDir.local(dir), 0, new LinkedHashMap<>()));
        UserError none = assertThrows(UserError.class, () -> FinetuneStage.run(null, d, "unused", FsDir.local(dir), 0.1,
                new LinkedHashMap<>()));
        assertTrue(none.getMessage().contains("no complete checkpoint"), none.getMessage());
    }
}
