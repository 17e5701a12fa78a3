package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench profile} as a user runs it, on a tiny network (no peer, no trainer): the phases, the
 * JFR breakdown by layer, both side-by-side layer comparisons, and the files it writes.
 */
class ProfileBenchTest {
    @TempDir
    Path dir;

    @Test
    void profilesOneStepAndComparesTheLayersSideBySide() throws Exception {
        Path out = dir.resolve("p");
        assertEquals(0, Main.run(new String[]{"bench", "profile", "--backbone", "conv4", "--width", "0.25",
                "--batch-size", "8", "--steps", "3", "--warmup", "1", "--trainer", "none", "--no-peer",
                "--compare-convolution", "--compare-batch-norm", "--out", out.toString()}));
        JsonNode r = new ObjectMapper().readTree(out.resolve("profile.json").toFile());
        JsonNode timed = r.path("single_network").path("timed");
        assertTrue(timed.path("fit_step_ms").asDouble() > 0, timed.toString());
        assertTrue(timed.path("forward_ms").asDouble() > 0, timed.toString());
        assertEquals(8 / (timed.path("step_ms").asDouble() / 1000), timed.path("source_images_per_s").asDouble(), 1e-6);
        assertTrue(r.path("single_network").path("fit_step_ms_under_jfr").asDouble() > 0);
        assertTrue(Files.size(out.resolve("single-network.jfr")) > 0);
        JsonNode phases = r.path("single_network").path("by_phase");
        assertTrue(phases.fieldNames().hasNext(), "a breakdown by phase and layer: " + r);
        for (String key : new String[]{"convolution_comparison", "batch_norm_comparison"}) {
            JsonNode c = r.path(key);
            assertEquals(3 * 3, c.path("steps_each").asInt(), key);
            double ours = c.path("ours_ms_per_step").asDouble();
            double theirs = c.path("theirs_ms_per_step").asDouble();
            assertTrue(ours > 0 && theirs > 0, c.toString());
            assertEquals(theirs / ours, c.path("speedup").asDouble(), 1e-6 * theirs / ours);
        }
        String md = Files.readString(out.resolve("profile.md"));
        assertTrue(md.contains("| whole step |"), md);
        assertTrue(md.contains("LeanConvolution") && md.contains("DL4J's ConvolutionLayer"), md);
        assertTrue(md.contains("DL4J's BatchNormalization + ActivationLayer"), md);
    }

    @Test
    void badValuesAreUserErrors() {
        assertEquals(2, Main.run(new String[]{"bench", "profile", "--steps", "0", "--no-peer"}));
        assertEquals(2, Main.run(new String[]{"bench", "profile", "--trainer", "both", "--no-peer"}));
    }
}
