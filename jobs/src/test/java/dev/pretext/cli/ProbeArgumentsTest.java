package dev.pretext.cli;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** probe --features: a missing path or a folder without features tables is a clear error (exit 2) before Spark starts. */
class ProbeArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void aMissingPathIsAUserError() {
        String missing = dir.resolve("nothere").toString();
        RunAcceptanceTest.Captured c = RunAcceptanceTest.run("probe", "--features", missing);
        assertEquals(2, c.status(), c.err());
        assertEquals("error: probe: --features " + missing + " does not exist; give a features table (features --out"
                + " DIR writes DIR/pretrained, DIR/random_init, DIR/raw_pixels) or DIR itself", c.err().strip());
    }

    @Test
    void aFolderWithoutFeaturesTablesIsAUserError() throws Exception {
        Files.createDirectories(dir.resolve("features/notes"));
        RunAcceptanceTest.Captured c = RunAcceptanceTest.run("probe", "--features", dir.resolve("features").toString());
        assertEquals(2, c.status(), c.err());
        assertTrue(c.err().startsWith("error: probe: --features " + dir.resolve("features")
                + " is not a features table and holds none"), c.err());
        assertEquals(1, c.err().strip().lines().count(), c.err());
    }

    @Test
    void theFolderFeaturesOutWroteGivesEveryTableInIt() throws Exception {
        Path out = dir.resolve("features");
        for (String rep : List.of("raw_pixels", "pretrained", "random_init")) {
            Files.createDirectories(out.resolve(rep));
            Files.writeString(out.resolve(rep).resolve("_manifest.json"), "{}");
        }
        Files.createDirectories(out.resolve(".tmp-x"));   // not a table: skipped
        Map<String, String> t = ProbeCommand.tables(out.toString(), new Configuration());
        assertEquals(List.of("pretrained", "random_init", "raw_pixels"), List.copyOf(t.keySet()));
        assertEquals(Map.of("", out.resolve("pretrained").toString()),
                ProbeCommand.tables(out.resolve("pretrained").toString(), new Configuration()), "a table is itself");
    }
}
