package dev.pretext.data.imagefolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.data.ImageEncoder;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.IngestResult;
import dev.pretext.data.Manifest;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.QuarantineTable;
import dev.pretext.data.ResizePolicy;
import dev.pretext.spark.SparkTestBase;

class ImageFolderIngestTest extends SparkTestBase {
    @TempDir
    Path tmp;

    @BeforeAll
    static void registerDenyingFs() {
        DenyingFileSystem.register(spark.sparkContext().hadoopConfiguration());
    }

    static ImageFolderSettings settings(String encoding, String resize, long maxPixels) {
        ImageFolderSettings d = ImageFolderSettings.defaults("ds");
        return new ImageFolderSettings("ds", ResizePolicy.parse(resize), ImageEncoder.of(encoding, 90), maxPixels, "",
                "train", 2, d.shardBytes(), d.rowGroupBytes(), 3, d.tarBytesPerTask());
    }

    /** train/cat (3 PNG), train/dog (2 JPEG), flat val/ (2 PNG) with labels.csv. */
    static Map<String, BufferedImage> writeDataset(Path root) {
        Map<String, BufferedImage> images = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            BufferedImage img = TestImageFiles.image(20, 12, 200, 10 * i, 0);
            images.put("train/cat/c" + i + ".png", img);
            TestImageFiles.write(root.resolve("train/cat/c" + i + ".png"), TestImageFiles.encode(img, "png"));
        }
        for (int i = 0; i < 2; i++) {
            BufferedImage img = TestImageFiles.image(16, 16, 0, 0, 200);
            images.put("train/dog/d" + i + ".jpg", img);
            TestImageFiles.write(root.resolve("train/dog/d" + i + ".jpg"), TestImageFiles.encode(img, "jpeg"));
        }
        for (int i = 0; i < 2; i++) {
            BufferedImage img = TestImageFiles.image(10, 10, 50, 50 + i, 50);
            images.put("val/v" + i + ".png", img);
            TestImageFiles.write(root.resolve("val/v" + i + ".png"), TestImageFiles.encode(img, "png"));
        }
        TestImageFiles.write(root.resolve("val/labels.csv"), "file,class\nv0.png,dog\nv1.png,cat\n"
                .getBytes(StandardCharsets.UTF_8));
        return images;
    }

    private static Map<String, ImageRecord> rows(String table) {
        Map<String, ImageRecord> m = new HashMap<>();
        for (Row r : ImagesTable.read(spark, table).collectAsList()) {
            ImageRecord rec = ImageRows.fromRow(r);
            m.put(rec.id(), rec);
        }
        return m;
    }

    @Test
    void classFoldersAndAFlatValWithLabelsBecomeOneTableWithOneClassIndex() {
        Path in = tmp.resolve("in");
        Map<String, BufferedImage> images = writeDataset(in);
        String out = tmp.resolve("t").toString();

        IngestResult r = ImageFolderIngest.run(spark, in.toString(), out, settings("png", "keep", 1_000_000),
                OnCorrupt.FAIL, false);

        assertEquals(Map.of("train", 5L, "val", 2L), r.counts());
        assertEquals(7, r.recordsSeen());
        assertEquals(0, r.quarantined());
        Manifest m = ImagesTable.manifest(spark, out);
        assertEquals(List.of("cat", "dog"), m.extra().get("classes"));
        assertEquals("png", m.extra().get("encoding"));
        assertEquals("keep", m.extra().get("resize"));
        Map<String, ImageRecord> rows = rows(out);
        assertEquals(7, rows.size());
        assertEquals(0, rows.get("ds/train/cat/c1.png").label());
        assertEquals(1, rows.get("ds/train/dog/d0.jpg").label());
        assertEquals(1, rows.get("ds/val/v0.png").label(), "labels.csv says dog");
        assertEquals(0, rows.get("ds/val/v1.png").label(), "labels.csv says cat");
        // PNG in, PNG stored: the pixels survive exactly
        ImageRecord c1 = rows.get("ds/train/cat/c1.png").toRaw();
        assertEquals(12, c1.height());
        assertEquals(20, c1.width());
        BufferedImage src = images.get("train/cat/c1.png");
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 20; x++) {
                int p = src.getRGB(x, y);
                assertEquals((p >> 16) & 0xff, c1.pixel(y, x, 0));
                assertEquals((p >> 8) & 0xff, c1.pixel(y, x, 1));
                assertEquals(p & 0xff, c1.pixel(y, x, 2));
            }
        }
        assertTrue(rows.get("ds/train/cat/c1.png").source().endsWith("train/cat/c1.png"));
    }

    @Test
    void resizePolicyAndJpegQualityApplyToEveryRowAndAreRecorded() {
        Path in = tmp.resolve("in");
        writeDataset(in);
        String out = tmp.resolve("t").toString();
        ImageFolderIngest.run(spark, in.toString(), out, settings("jpeg", "shorter:8", 1_000_000), OnCorrupt.FAIL, false);
        for (ImageRecord rec : rows(out).values()) {
            assertEquals("jpeg", rec.encoding());
            assertEquals(8, rec.height());
            assertEquals(8, rec.width());
            assertEquals(8 * 8 * 3, rec.toRaw().data().length);
        }
        Manifest m = ImagesTable.manifest(spark, out);
        assertEquals(90, ((Number) m.extra().get("jpeg_quality")).intValue());
        assertEquals("shorter:8", m.extra().get("resize"));
    }

    /** Every kind of bad input of the issue, planted in one folder. */
    private static void plantFaults(Path root) throws IOException {
        byte[] jpeg = TestImageFiles.encode(TestImageFiles.image(32, 32, 10, 200, 10), "jpeg");
        TestImageFiles.write(root.resolve("train/cat/good.jpg"), jpeg);
        TestImageFiles.write(root.resolve("train/cat/corrupt.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        TestImageFiles.write(root.resolve("train/cat/empty.jpg"), new byte[0]);
        TestImageFiles.write(root.resolve("train/cat/notes.jpg"), "not an image".getBytes(StandardCharsets.UTF_8));
        TestImageFiles.write(root.resolve("train/cat/huge.png"),
                TestImageFiles.encode(TestImageFiles.image(200, 100, 1, 2, 3), "png"));
        TestImageFiles.write(root.resolve("train/dog.denied/d.jpg"), jpeg);
        TestImageFiles.write(root.resolve("train/dog/good.jpg"), jpeg);
        TestImageFiles.write(root.resolve("val/v.jpg"), jpeg);
        TestImageFiles.write(root.resolve("val/unlisted.jpg"), jpeg);
        TestImageFiles.write(root.resolve("val/labels.csv"), "v.jpg,cat\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void skipQuarantinesEachPlantedFaultWithItsReasonAndTheCountsReconcile() throws IOException {
        Path in = tmp.resolve("in");
        plantFaults(in);
        String out = tmp.resolve("t").toString();

        IngestResult r = ImageFolderIngest.run(spark, DenyingFileSystem.SCHEME + "://" + in, out,
                settings("jpeg", "keep", 10_000), OnCorrupt.SKIP, false);

        Map<String, String> reasons = new HashMap<>();
        for (Row q : QuarantineTable.read(spark, out).collectAsList()) {
            String src = q.getString(0);
            reasons.put(src.substring(src.lastIndexOf('/') + 1), q.getString(1));
        }
        assertEquals(Map.of("train", 2L, "val", 1L), r.counts(), reasons.toString());
        assertEquals(6, reasons.size(), reasons.toString());
        assertTrue(reasons.get("corrupt.jpg").toLowerCase().contains("corrupt")
                || reasons.get("corrupt.jpg").toLowerCase().contains("truncated"), reasons.get("corrupt.jpg"));
        assertTrue(reasons.get("empty.jpg").contains("0 bytes"), reasons.get("empty.jpg"));
        assertTrue(reasons.get("notes.jpg").toLowerCase().contains("not"), reasons.get("notes.jpg"));
        assertTrue(reasons.get("huge.png").contains("20000"), reasons.get("huge.png"));
        assertTrue(reasons.get("dog.denied").contains("Permission denied"), reasons.get("dog.denied"));
        assertTrue(reasons.get("unlisted.jpg").contains("labels CSV"), reasons.get("unlisted.jpg"));
        // inputs seen (from the listing) = rows written (from the table) + quarantined (from the executors)
        assertEquals(9, r.recordsSeen());
        assertEquals(r.recordsSeen(), r.rows() + r.quarantined());
        Manifest m = ImagesTable.manifest(spark, out);
        assertEquals(9, m.recordsSeen());
        assertEquals(6, m.quarantined());
    }

    @Test
    void failStopsAtTheFirstBadInputWithItsPathAndReasonAndWritesNothing() throws IOException {
        Path in = tmp.resolve("in");
        byte[] jpeg = TestImageFiles.encode(TestImageFiles.image(32, 32, 10, 200, 10), "jpeg");
        TestImageFiles.write(in.resolve("train/cat/good.jpg"), jpeg);
        TestImageFiles.write(in.resolve("train/cat/broken.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Path out = tmp.resolve("tables/t");
        UserError e = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark, in.toString(), out.toString(),
                settings("jpeg", "keep", 1_000_000), OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("broken.jpg"), e.getMessage());
        assertTrue(e.getMessage().contains("--on-corrupt skip"), e.getMessage());
        assertFalse(Files.exists(out));
        if (Files.exists(out.getParent())) {
            try (Stream<Path> s = Files.list(out.getParent())) {
                assertEquals(List.of(), s.toList(), "no temporary table left behind");
            }
        }
    }

    @Test
    void aFolderOfClassFoldersIsOneSplitAndBadInputsAreUserErrors() {
        Path in = tmp.resolve("flowers");
        TestImageFiles.write(in.resolve("rose/a.png"), TestImageFiles.encode(TestImageFiles.image(8, 8, 1, 2, 3), "png"));
        TestImageFiles.write(in.resolve("tulip/b.png"), TestImageFiles.encode(TestImageFiles.image(8, 8, 1, 2, 3), "png"));
        String out = tmp.resolve("t").toString();
        IngestResult r = ImageFolderIngest.run(spark, in.toString(), out, settings("png", "keep", 1_000_000),
                OnCorrupt.FAIL, false);
        assertEquals(Map.of("train", 2L), r.counts());
        assertEquals(1, rows(out).get("ds/train/tulip/b.png").label());

        UserError missing = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark,
                tmp.resolve("nope").toString(), tmp.resolve("t2").toString(), settings("png", "keep", 100), OnCorrupt.FAIL, false));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        Path empty = tmp.resolve("empty");
        assertTrue(empty.toFile().mkdirs());
        UserError none = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark, empty.toString(),
                tmp.resolve("t3").toString(), settings("png", "keep", 100), OnCorrupt.FAIL, false));
        assertTrue(none.getMessage().contains("no input files"), none.getMessage());
        assertFalse(Files.exists(tmp.resolve("t3")));
        UserError notTar = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark,
                in.resolve("rose/a.png").toString(), tmp.resolve("t4").toString(), settings("png", "keep", 100),
                OnCorrupt.FAIL, false));
        assertTrue(notTar.getMessage().contains("not a .tar"), notTar.getMessage());
    }
}
