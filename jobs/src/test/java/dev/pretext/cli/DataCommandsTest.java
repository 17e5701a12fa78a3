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
 * The data commands of the list as a user types them: synth an image folder, ingest it,
 * cut patches, compute descriptors, inspect each table.
 */
class DataCommandsTest {
    @TempDir
    Path dir;

    private static JsonNode manifest(String table) throws Exception {
        return new ObjectMapper().readTree(Path.of(table, "_manifest.json").toFile());
    }

    @Test
    void imageFolderToImagesPatchesDescriptorsAndInspect() throws Exception {
        String folder = dir.resolve("shapes").toString();
        String images = dir.resolve("images").toString();
        String patches = dir.resolve("patches").toString();
        String desc = dir.resolve("desc").toString();

        assertEquals(0, Main.run(new String[]{"synth", "--format", "imagefolder", "--out", folder, "--train", "30",
                "--test", "10", "--size", "40"}));
        Files.write(Path.of(folder, "train", "disc", "broken.JPEG"), new byte[]{(byte) 0xff, (byte) 0xd8, 1, 2, 3});

        assertEquals(2, Main.run(new String[]{"ingest", "--dataset", "imagefolder", "--input", folder, "--out", images,
                "--master", "local[2]", "--resize", "shorter:32"}), "fail is the default: the broken file stops it");
        assertTrue(Files.notExists(Path.of(images)));
        assertEquals(0, Main.run(new String[]{"ingest", "--dataset", "imagefolder", "--input", folder, "--out", images,
                "--master", "local[2]", "--resize", "shorter:32", "--encoding", "png", "--on-corrupt", "skip"}));
        JsonNode im = manifest(images);
        assertEquals(41, im.path("recordsSeen").asLong());
        assertEquals(1, im.path("quarantined").asLong());
        assertEquals(30, im.path("counts").path("train").asLong());
        assertEquals(10, im.path("counts").path("val").asLong());
        assertEquals("shorter:32", im.path("extra").path("resize").asText());
        assertEquals("shapes", im.path("extra").path("name").asText());

        assertEquals(0, Main.run(new String[]{"patches", "--images", images, "--out", patches, "--grid", "3", "--gap", "2",
                "--jitter", "1", "--permutations", "64", "--views", "1", "--master", "local[2]"}));
        JsonNode pm = manifest(patches);
        assertEquals(80, pm.path("rows").asLong(), "40 images x (original + 1 view)");
        assertEquals(64, pm.path("extra").path("jigsaw_permutations").size());

        assertEquals(0, Main.run(new String[]{"describe", "--images", images, "--out", desc, "--descriptors", "hog,lsd,image",
                "--set", "describe.hog.cell-size=4", "--master", "local[2]"}));
        JsonNode dm = manifest(desc);
        assertEquals(40, dm.path("rows").asLong());
        assertEquals(32 * 32 * 3, dm.path("extra").path("columns").path("lsd").path("dimension").asInt());
        assertEquals(4, dm.path("extra").path("columns").path("hog").path("parameters").path("cell-size").asInt(),
                "--set describe.hog.cell-size reaches the descriptor");

        Path png = dir.resolve("sheet.png");
        assertEquals(0, Main.run(new String[]{"inspect", patches, "--png", png.toString(), "--samples", "4",
                "--master", "local[2]"}));
        assertTrue(Files.size(png) > 0);
        assertEquals(0, Main.run(new String[]{"inspect", images, "--png", dir.resolve("i.png").toString(),
                "--master", "local[2]"}));
    }
}
