package dev.pretext.data;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.synth.SynthDatasetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TableInspectorTest extends SparkTestBase {
    @TempDir
    Path dir;

    @Test
    void inspectsCountsSizeAndSamplesOfAnImagesTable() throws Exception {
        new SynthDatasetWriter(3).writeCifar10(dir.resolve("raw"), 50, 20);
        String table = dir.resolve("images").toString();
        IngestJob.ingest(spark, "cifar10", dir.resolve("raw").toString(), table, 2, OnCorrupt.FAIL, false);

        TableInspector.Inspection in = TableInspector.inspect(spark, table, 12, 5);
        assertEquals(70, in.rows());
        assertEquals("ingest", in.manifest().stage());
        assertTrue(in.bytes() > 70 * 3072, "raw pixels alone are 70 x 3072 bytes, got " + in.bytes());
        Map<Integer, Long> train = in.countsBySplitAndLabel().get("train");
        assertEquals(50, train.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(10, train.size(), "every class present");
        assertEquals(20, in.countsBySplitAndLabel().get("test").values().stream().mapToLong(Long::longValue).sum());
        assertEquals(12, in.samples().size());
        assertTrue(in.schema().contains("data: binary"));
        String text = in.toText();
        assertTrue(text.contains("split train") && text.contains("rows     70"), text);

        // same seed, same sample
        assertArrayEquals(in.samples().get(0).hwc(), TableInspector.inspect(spark, table, 12, 5).samples().get(0).hwc());
    }

    @Test
    void contactSheetPlacesEveryTilePixelExactly() throws Exception {
        byte[] red = new byte[2 * 3 * 3];
        byte[] blue = new byte[2 * 3 * 3];
        for (int i = 0; i < 6; i++) {
            red[3 * i] = (byte) 255;
            blue[3 * i + 2] = (byte) 200;
        }
        red[3 * 5 + 1] = 7;    // pixel (y=1, x=2) of the red tile gets green 7
        BufferedImage sheet = ContactSheet.render(List.of(new ContactSheet.Tile(2, 3, red),
                new ContactSheet.Tile(2, 3, blue), new ContactSheet.Tile(2, 3, red)), 2, 2);
        assertEquals(2 * (3 * 2 + 1) + 1, sheet.getWidth());
        assertEquals(2 * (2 * 2 + 1) + 1, sheet.getHeight());
        assertEquals(0xff0000, sheet.getRGB(1, 1) & 0xffffff);
        assertEquals(0xff0700, sheet.getRGB(1 + 2 * 2 + 1, 1 + 1 * 2 + 1) & 0xffffff, "scaled pixel (1,2)");
        assertEquals(0x0000c8, sheet.getRGB(1 + 7, 1) & 0xffffff, "second tile, same row");
        assertEquals(0xff0000, sheet.getRGB(1, 1 + 5) & 0xffffff, "third tile, next row");
        assertEquals(0xffffff, sheet.getRGB(1 + 7, 1 + 5) & 0xffffff, "empty cell stays white");
        Path png = dir.resolve("sheet.png");
        ContactSheet.writePng(sheet, png);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(sheet.getRGB(1 + 2 * 2 + 1, 1 + 1 * 2 + 1), back.getRGB(1 + 2 * 2 + 1, 1 + 1 * 2 + 1));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void aFolderThatIsNotATableIsAClearError() throws Exception {
        Files.createDirectories(dir.resolve("plain"));
        UserError e = assertThrows(UserError.class,
                () -> TableInspector.inspect(spark, dir.resolve("plain").toString(), 4, 1));
        assertTrue(e.getMessage().contains("plain") && e.getMessage().contains("_manifest.json"), e.getMessage());
    }

    @Test
    void jpegTablesShowAsThumbnailsAndQuarantinedInputsAreCountedByReason() throws Exception {
        Path in = dir.resolve("folder");
        BufferedImage big = new BufferedImage(200, 150, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 150; y++) {
            for (int x = 0; x < 200; x++) {
                big.setRGB(x, y, (x << 16) | (y << 8) | 40);
            }
        }
        Files.createDirectories(in.resolve("train/a"));
        ImageIO.write(big, "jpeg", in.resolve("train/a/big.jpg").toFile());
        Files.write(in.resolve("train/a/empty.jpg"), new byte[0]);
        Files.write(in.resolve("train/a/empty2.jpg"), new byte[0]);
        String out = dir.resolve("t").toString();
        dev.pretext.data.imagefolder.ImageFolderIngest.run(spark, in.toString(), out,
                dev.pretext.data.imagefolder.ImageFolderSettings.defaults("ds"), OnCorrupt.SKIP, false);

        TableInspector.Inspection i = TableInspector.inspect(spark, out, 4, 1);
        assertEquals(1, i.samples().size());
        ContactSheet.Tile t = i.samples().get(0);
        assertEquals(96, t.height());
        assertEquals(96, t.width());
        assertEquals(Map.of("empty file (0 bytes)", 2L), i.quarantineReasons());
        String text = i.toText();
        assertTrue(text.contains("classes: [a]"), text);
        assertTrue(text.contains("2  empty file (0 bytes)"), text);
    }
}
