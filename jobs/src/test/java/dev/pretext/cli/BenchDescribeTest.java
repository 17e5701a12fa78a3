package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench describe}: both scattering implementations timed on the same images, as the user runs it. */
class BenchDescribeTest {
    @TempDir
    Path dir;

    @Test
    void writesBothRatesTheirRatioAndTheDifference() throws Exception {
        Path json = dir.resolve("d.json");
        assertEquals(0, Main.run(new String[]{"bench", "describe", "--images", "3", "--size", "24", "--warmup", "1",
                "--rounds", "2", "--out", json.toString()}));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, r.path("images").asInt());
        assertEquals(24, r.path("size").asInt());
        double ref = r.path("reference_images_per_s").asDouble();
        double cur = r.path("current_images_per_s").asDouble();
        assertTrue(ref > 0 && cur > 0, r.toString());
        assertEquals(cur / ref, r.path("speedup").asDouble(), 1e-9 * cur / ref);
        assertTrue(r.path("max_abs_difference").asDouble() <= 1e-5, r.toString());
        assertEquals("scattering", r.path("descriptor").path("name").asText());
    }

    @Test
    void tableNamesBothImplementationsAndTheSpeedUp() {
        Map<String, Object> r = DescribeBench.measure(2, 16, 0, 1);
        String t = DescribeBench.table(r);
        assertTrue(t.contains("| reference (before issue 10 part 4) |"), t);
        assertTrue(t.contains("| current |"), t);
        assertTrue(t.contains("| speed-up |"), t);
        assertTrue(t.contains("largest absolute difference"), t);
    }

    @Test
    void badValuesAreUserErrors() {
        assertEquals(2, Main.run(new String[]{"bench", "describe", "--images", "0"}));
        assertEquals(2, Main.run(new String[]{"bench", "describe", "--threads", "2"}));
    }
}
