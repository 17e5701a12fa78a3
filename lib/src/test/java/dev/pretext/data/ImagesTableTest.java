package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;

class ImagesTableTest extends SparkTestBase {
    @TempDir
    Path tmp;

    private static ImageRecord image(int i, String split) {
        return new ImageRecord("t/" + split + "/" + i, split, i % 3, -1, 1, 2, 3, ImageRecord.RAW,
                new byte[] {(byte) i, 1, 2, 3, 4, (byte) 200}, "f.bin#" + i);
    }

    @Test
    void rowConversionRoundTripsByPositionAndByName() {
        ImageRecord r = new ImageRecord("a", "train", 4, 2, 1, 1, 3, "raw", new byte[] {1, 2, 3}, "s#0");
        Row row = ImageRows.toRow(r);
        ImageRecord back = ImageRows.fromRow(row);
        assertEquals(r.id(), back.id());
        assertEquals(2, back.label2());
        assertEquals(3, back.data()[2]);
        // rows read from a table carry a schema, possibly in another column order
        Row reordered = spark.createDataFrame(List.of(row), ImageRows.SCHEMA).select("source", "data", "id", "split",
                "label", "label2", "height", "width", "channels", "encoding").first();
        assertEquals("s#0", ImageRows.fromRow(reordered).source());
        assertEquals(4, ImageRows.fromRow(reordered).label());
    }

    @Test
    void writerCommitsAndReaderFiltersBySplit() {
        String out = tmp.resolve("imgs").toString();
        List<ImageRecord> recs = List.of(image(0, "train"), image(1, "train"), image(2, "test"));
        Manifest m = ImagesTable.write(spark, jsc.parallelize(List.of(0, 1, 2)).map(i -> recs.get(i)), out, 2, "synth",
                "custom", Map.of("note", "x"), false);
        assertEquals(Map.of("train", 2L, "test", 1L), m.counts());
        assertEquals(m, ImagesTable.manifest(spark, out));
        assertEquals(2, ImagesTable.read(spark, out, "train").count());
        assertEquals(List.of("t/test/2"), ImagesTable.readRecords(spark, out, "test").map(ImageRecord::id).collect());
        UserError e = assertThrows(UserError.class, () -> ImagesTable.read(spark, out, "unlabeled"));
        assertTrue(e.getMessage().contains("no split 'unlabeled'"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutManifestIsNotATable() throws Exception {
        Path half = tmp.resolve("half");
        Files.createDirectories(half);
        UserError e = assertThrows(UserError.class, () -> ImagesTable.read(spark, half.toString()));
        assertTrue(e.getMessage().contains("_manifest.json"), e.getMessage());
    }
}
