package dev.pretext.data.imagefolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.data.ImageEncoder;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.IngestResult;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.QuarantineTable;
import dev.pretext.data.ResizePolicy;
import dev.pretext.spark.SparkTestBase;

/** Tar inputs give the same table as the folder they were made from, and damage is one quarantined input. */
class TarIngestTest extends SparkTestBase {
    @TempDir
    Path tmp;

    static byte[] tar(Map<String, byte[]> members) {
        return TestImageFiles.tar(members);
    }

    /** train/cat (3), train/dog (2) as PNG, by relative path. */
    static Map<String, byte[]> images() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            m.put("train/cat/c" + i + ".png", TestImageFiles.encode(TestImageFiles.image(12, 10, 200, 20 * i, 0), "png"));
        }
        for (int i = 0; i < 2; i++) {
            m.put("train/dog/d" + i + ".png", TestImageFiles.encode(TestImageFiles.image(9, 14, 0, 30 * i, 200), "png"));
        }
        return m;
    }

    static ImageFolderSettings settings(long tarBytesPerTask, String labels) {
        ImageFolderSettings d = ImageFolderSettings.defaults("ds");
        return new ImageFolderSettings("ds", ResizePolicy.keep(), ImageEncoder.png(), 1_000_000, labels, "train", 1,
                d.shardBytes(), d.rowGroupBytes(), 2, tarBytesPerTask);
    }

    private static Map<String, Row> table(String dir) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : ImagesTable.read(spark, dir).collectAsList()) {
            m.put(r.getAs("id"), r);
        }
        return m;
    }

    private static void assertSameImages(Map<String, Row> a, Map<String, Row> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String id : a.keySet()) {
            ImageRecord x = ImageRows.fromRow(a.get(id)).toRaw();
            ImageRecord y = ImageRows.fromRow(b.get(id)).toRaw();
            assertEquals(x.label(), y.label(), id);
            assertEquals(x.split(), y.split(), id);
            assertArrayEquals(x.data(), y.data(), id);
        }
    }

    private String folderTable(Map<String, byte[]> files) {
        Path root = tmp.resolve("folder");
        files.forEach((rel, bytes) -> TestImageFiles.write(root.resolve(rel), bytes));
        String out = tmp.resolve("from-folder").toString();
        ImageFolderIngest.run(spark, root.toString(), out, settings(1 << 20, ""), OnCorrupt.FAIL, false);
        return out;
    }

    @Test
    void ilsvrcTarOfPerClassTarsGivesTheFolderTable() throws IOException {
        Map<String, byte[]> files = images();
        String fromFolder = folderTable(files);
        Map<String, byte[]> cat = new LinkedHashMap<>();
        Map<String, byte[]> dog = new LinkedHashMap<>();
        files.forEach((rel, bytes) -> (rel.contains("/cat/") ? cat : dog).put(rel.substring(rel.lastIndexOf('/') + 1), bytes));
        Map<String, byte[]> outer = new LinkedHashMap<>();
        outer.put("n_cat.tar", tar(cat));
        outer.put("n_dog.tar", tar(dog));
        Path train = Files.write(tmp.resolve("ILSVRC2012_img_train.tar"), tar(outer));
        // the class is the inner tar's name: rename the folder classes to match
        Map<String, byte[]> renamed = new LinkedHashMap<>();
        files.forEach((rel, bytes) -> renamed.put(rel.replace("/cat/", "/n_cat/").replace("/dog/", "/n_dog/"), bytes));
        Files.walk(tmp.resolve("folder")).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        tmp.resolve("from-folder").toFile().renameTo(tmp.resolve("old").toFile());
        String expected = folderTable(renamed);

        String out = tmp.resolve("from-tar").toString();
        IngestResult r = ImageFolderIngest.run(spark, train.toString(), out, settings(1 << 20, ""), OnCorrupt.FAIL, false);

        assertEquals(Map.of("train", 5L), r.counts());
        assertEquals(5, r.recordsSeen());
        assertEquals("tar-of-tars", r.manifest().extra().get("input_kind"));
        assertEquals(List.of("n_cat", "n_dog"), r.manifest().extra().get("classes"));
        assertSameImages(table(expected), table(out));
        assertTrue(table(out).get("ds/train/n_dog/d1.png").<String>getAs("source")
                .endsWith("ILSVRC2012_img_train.tar/n_dog.tar/d1.png"));
        assertTrue(fromFolder.endsWith("from-folder"));
    }

    @Test
    void plainTarOfAFolderTreeReadInManyRangesGivesTheFolderTable() throws IOException {
        Map<String, byte[]> files = images();
        files.put("val/v0.png", TestImageFiles.encode(TestImageFiles.image(8, 8, 5, 5, 5), "png"));
        Path labels = Files.write(tmp.resolve("val.csv"), "v0.png,dog\n".getBytes(StandardCharsets.UTF_8));
        Path root = tmp.resolve("folder");
        files.forEach((rel, bytes) -> TestImageFiles.write(root.resolve(rel), bytes));
        String expected = tmp.resolve("from-folder").toString();
        ImageFolderIngest.run(spark, root.toString(), expected, settings(1 << 20, labels.toString()), OnCorrupt.FAIL, false);

        Map<String, byte[]> members = new LinkedHashMap<>();
        files.forEach((rel, bytes) -> members.put("imagenet/" + rel, bytes));
        Path tar = Files.write(tmp.resolve("imagenet.tar"), tar(members));
        String out = tmp.resolve("from-tar").toString();
        // 1-byte ranges: every member is a task of its own
        IngestResult r = ImageFolderIngest.run(spark, tar.toString(), out, settings(1, labels.toString()),
                OnCorrupt.FAIL, false);

        assertEquals(Map.of("train", 5L, "val", 1L), r.counts());
        assertEquals("tar", r.manifest().extra().get("input_kind"));
        assertSameImages(table(expected), table(out));
        assertEquals(1, table(out).get("ds/val/v0.png").<Integer>getAs("label"));
    }

    @Test
    void aTruncatedMemberIsOneQuarantinedInputAndFailNamesIt() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        images().forEach((rel, bytes) -> members.put(rel, bytes));
        byte[] whole = tar(members);
        // cut inside the data of the last member (d1.png): the end-of-archive blocks and half its data are gone
        byte[] last = members.get("train/dog/d1.png");
        int cut = whole.length - 1024 - (last.length + 511) / 512 * 512 + last.length / 2;
        Path tar = Files.write(tmp.resolve("cut.tar"), Arrays.copyOf(whole, cut));

        String out = tmp.resolve("t").toString();
        IngestResult r = ImageFolderIngest.run(spark, tar.toString(), out, settings(1, ""), OnCorrupt.SKIP, false);
        assertEquals(4, r.rows());
        assertEquals(1, r.quarantined());
        assertEquals(5, r.recordsSeen());
        Row q = QuarantineTable.read(spark, out).collectAsList().get(0);
        assertTrue(q.getString(0).endsWith("cut.tar/train/dog/d1.png"), q.getString(0));
        assertTrue(q.getString(1).startsWith("truncated tar"), q.getString(1));

        Path failOut = tmp.resolve("f");
        UserError e = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark, tar.toString(),
                failOut.toString(), settings(1, ""), OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("d1.png") && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(Files.exists(failOut));
    }

    @Test
    void aCorruptHeaderInsideANestedTarIsQuarantinedAndTheOtherClassesIngest() throws IOException {
        Map<String, byte[]> cat = new LinkedHashMap<>();
        cat.put("c0.png", TestImageFiles.encode(TestImageFiles.image(8, 8, 1, 1, 1), "png"));
        cat.put("c1.png", TestImageFiles.encode(TestImageFiles.image(8, 8, 2, 2, 2), "png"));
        byte[] catTar = tar(cat);
        // the second member's header: after the first header block and the first member's padded data
        int second = 512 + (cat.get("c0.png").length + 511) / 512 * 512;
        catTar[second + 10] ^= 0x5a;
        Map<String, byte[]> dog = new LinkedHashMap<>();
        dog.put("d0.png", TestImageFiles.encode(TestImageFiles.image(8, 8, 3, 3, 3), "png"));
        Map<String, byte[]> outer = new LinkedHashMap<>();
        outer.put("cat.tar", catTar);
        outer.put("dog.tar", tar(dog));
        Path t = Files.write(tmp.resolve("train.tar"), tar(outer));

        String out = tmp.resolve("t").toString();
        IngestResult r = ImageFolderIngest.run(spark, t.toString(), out, settings(1 << 20, ""), OnCorrupt.SKIP, false);
        assertEquals(2, r.rows(), "c0 and d0");
        assertEquals(1, r.quarantined());
        assertEquals(3, r.recordsSeen());
        Row q = QuarantineTable.read(spark, out).collectAsList().get(0);
        assertTrue(q.getString(1).startsWith("corrupt tar header"), q.getString(1));
        assertTrue(q.getString(0).contains("cat.tar"), q.getString(0));
    }

    @Test
    void ilsvrcTrainAndFlatValTarsGoIntoOneTableWithOneClassIndex() throws IOException {
        Map<String, byte[]> cat = new LinkedHashMap<>();
        cat.put("n_cat_1.JPEG", TestImageFiles.encode(TestImageFiles.image(8, 8, 1, 1, 1), "png"));
        Map<String, byte[]> dog = new LinkedHashMap<>();
        dog.put("n_dog_1.JPEG", TestImageFiles.encode(TestImageFiles.image(8, 8, 2, 2, 2), "png"));
        Map<String, byte[]> outer = new LinkedHashMap<>();
        outer.put("n_dog.tar", tar(dog));
        outer.put("n_cat.tar", tar(cat));
        Path train = Files.write(tmp.resolve("ILSVRC2012_img_train.tar"), tar(outer));
        Map<String, byte[]> flat = new LinkedHashMap<>();
        flat.put("ILSVRC2012_val_00000001.JPEG", TestImageFiles.encode(TestImageFiles.image(8, 8, 3, 3, 3), "png"));
        flat.put("ILSVRC2012_val_00000002.JPEG", TestImageFiles.encode(TestImageFiles.image(8, 8, 4, 4, 4), "png"));
        Path val = Files.write(tmp.resolve("ILSVRC2012_img_val.tar"), tar(flat));
        Path labels = Files.write(tmp.resolve("LOC_val_solution.csv"), ("ImageId,PredictionString\n"
                + "ILSVRC2012_val_00000001,n_dog 1 2 3 4\nILSVRC2012_val_00000002,n_cat 5 6 7 8\n")
                .getBytes(StandardCharsets.UTF_8));

        String out = tmp.resolve("t").toString();
        IngestResult r = ImageFolderIngest.run(spark, train + "," + val + "=val", out,
                settings(1 << 20, labels.toString()), OnCorrupt.FAIL, false);

        assertEquals(Map.of("train", 2L, "val", 2L), r.counts());
        assertEquals(List.of("n_cat", "n_dog"), r.manifest().extra().get("classes"));
        assertEquals(2, r.manifest().inputs().size());
        Map<String, Row> rows = table(out);
        assertEquals(0, rows.get("ds/train/n_cat/n_cat_1.JPEG").<Integer>getAs("label"));
        assertEquals(1, rows.get("ds/train/n_dog/n_dog_1.JPEG").<Integer>getAs("label"));
        assertEquals(1, rows.get("ds/val/ILSVRC2012_val_00000001.JPEG").<Integer>getAs("label"));
        assertEquals(0, rows.get("ds/val/ILSVRC2012_val_00000002.JPEG").<Integer>getAs("label"));

        UserError overlap = assertThrows(UserError.class, () -> ImageFolderIngest.run(spark, train + "," + train,
                tmp.resolve("o").toString(), settings(1 << 20, ""), OnCorrupt.FAIL, false));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
        assertFalse(Files.exists(tmp.resolve("o")));
    }
}
