package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;

class Cifar10ReaderTest {
    @TempDir
    Path dir;

    /** Train batches of 2, 1, 0, 1, 1 records and a test batch of 2; record k has label k % 10. */
    private void writeValid() throws IOException {
        int[] counts = {2, 1, 0, 1, 1};
        int k = 0;
        for (int b = 0; b < 5; b++) {
            List<byte[]> recs = new ArrayList<>();
            for (int i = 0; i < counts[b]; i++, k++) {
                recs.add(BinaryFiles.cifarRecord(k, k % 10));
            }
            BinaryFiles.write(dir, "data_batch_" + (b + 1) + ".bin", recs.toArray(new byte[0][]));
        }
        BinaryFiles.write(dir, "test_batch.bin", BinaryFiles.cifarRecord(100, 9), BinaryFiles.cifarRecord(101, 0));
        Files.writeString(dir.resolve("batches.meta.txt"), "airplane\nautomobile\n\n");
    }

    static List<ReadResult> all(BinaryDatasetReader r) {
        List<ReadResult> out = new ArrayList<>();
        try (CloseableIterator<ReadResult> it = r.readAll()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void readsIdsLabelsSourcesAndPlanarPixelsAsHwc() throws IOException {
        writeValid();
        Cifar10Reader r = new Cifar10Reader(dir, OnCorrupt.FAIL);
        List<ReadResult> res = all(r);
        assertEquals(7, res.size());
        assertEquals(7, r.recordsSeen());
        assertTrue(res.stream().allMatch(ReadResult::isGood));

        ImageRecord third = res.get(2).image();
        assertEquals("cifar10/train/000002", third.id());
        assertEquals("data_batch_2.bin#0", third.source());
        assertEquals("train", third.split());
        assertEquals(2, third.label());
        assertEquals(-1, third.label2());
        assertEquals(32, third.height());
        assertEquals(32, third.width());
        assertEquals(3, third.channels());
        assertEquals(ImageRecord.RAW, third.encoding());
        assertEquals(3072, third.data().length);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(BinaryFiles.cifarValue(2, c, y, x), third.pixel(y, x, c), "y=" + y + " x=" + x + " c=" + c);
                }
            }
        }
        // the HWC layout interleaves channels: byte 3 is R of (0, 1)
        assertEquals(8, third.data()[3] & 0xff);

        ImageRecord fifth = res.get(4).image();
        assertEquals("cifar10/train/000004", fifth.id());
        assertEquals("data_batch_5.bin#0", fifth.source());

        ImageRecord test1 = res.get(6).image();
        assertEquals("cifar10/test/000001", test1.id());
        assertEquals("test", test1.split());
        assertEquals("test_batch.bin#1", test1.source());
        assertEquals(0, test1.label());
        assertEquals(BinaryFiles.cifarValue(101, 2, 5, 5), test1.pixel(5, 5, 2));

        assertEquals(List.of("airplane", "automobile"), r.metadata().get("class_names"));
        assertEquals(3 * 3073L, r.inputs().get("data_batch_1.bin") + r.inputs().get("data_batch_2.bin"));
        assertTrue(r.inputs().containsKey("batches.meta.txt"));
    }

    @Test
    void readsARecordRangeOfOneFile() throws IOException {
        writeValid();
        Cifar10Reader r = new Cifar10Reader(dir, OnCorrupt.FAIL);
        DatasetFile first = r.files().get(0);
        assertEquals("data_batch_1.bin", first.file());
        assertEquals(2, first.records());
        List<ReadResult> res = new ArrayList<>();
        r.read(first, 1, 2).forEachRemaining(res::add);
        assertEquals(1, res.size());
        assertEquals("cifar10/train/000001", res.get(0).image().id());
        assertEquals(BinaryFiles.cifarValue(1, 2, 0, 0), res.get(0).image().pixel(0, 0, 2));
    }

    @Test
    void findsTheOfficialSubfolder() throws IOException {
        Path parent = dir;
        dir = parent.resolve("cifar-10-batches-bin");
        writeValid();
        Cifar10Reader r = new Cifar10Reader(parent, OnCorrupt.FAIL);
        assertEquals(7, all(r).size());
    }

    @Test
    void missingFileIsNamedWithWhatTheFolderMustContain() throws IOException {
        writeValid();
        Files.delete(dir.resolve("data_batch_3.bin"));
        UserError e = assertThrows(UserError.class, () -> new Cifar10Reader(dir, OnCorrupt.FAIL));
        assertTrue(e.getMessage().contains("data_batch_3.bin is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
    }

    @Test
    void emptyAndAbsentFoldersAreErrors() {
        UserError empty = assertThrows(UserError.class, () -> new Cifar10Reader(dir, OnCorrupt.FAIL));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
        assertTrue(empty.getMessage().contains("data_batch_1.bin"), empty.getMessage());
        UserError absent = assertThrows(UserError.class, () -> new Cifar10Reader(dir.resolve("nope"), OnCorrupt.FAIL));
        assertTrue(absent.getMessage().contains("does not exist"), absent.getMessage());
    }

    @Test
    void truncatedFileFailsNamingFileSizeAndRecordSize() throws IOException {
        writeValid();
        byte[] rec = BinaryFiles.cifarRecord(7, 3);
        BinaryFiles.write(dir, "test_batch.bin", rec, rec, Arrays.copyOf(rec, 100));
        UserError e = assertThrows(UserError.class, () -> new Cifar10Reader(dir, OnCorrupt.FAIL));
        String m = e.getMessage();
        assertTrue(m.contains("test_batch.bin") && m.contains("6246 bytes") && m.contains("3073-byte records"), m);
    }

    @Test
    void truncatedTailIsQuarantinedUnderSkip() throws IOException {
        writeValid();
        byte[] rec = BinaryFiles.cifarRecord(7, 3);
        BinaryFiles.write(dir, "test_batch.bin", rec, rec, Arrays.copyOf(rec, 100));
        Cifar10Reader r = new Cifar10Reader(dir, OnCorrupt.SKIP);
        List<ReadResult> res = all(r);
        long good = res.stream().filter(ReadResult::isGood).count();
        List<QuarantinedItem> bad = res.stream().filter(x -> !x.isGood()).map(ReadResult::quarantined).toList();
        assertEquals(7, good);
        assertEquals(1, bad.size());
        assertEquals("test_batch.bin#2", bad.get(0).source());
        assertTrue(bad.get(0).reason().contains("truncated"), bad.get(0).reason());
        assertEquals(r.recordsSeen(), good + bad.size());
    }

    @Test
    void labelOutOfRangeFailsNamingFileRecordValueAndRange() throws IOException {
        writeValid();
        BinaryFiles.write(dir, "data_batch_1.bin", BinaryFiles.cifarRecord(0, 1), BinaryFiles.cifarRecord(1, 10));
        Cifar10Reader r = new Cifar10Reader(dir, OnCorrupt.FAIL);
        UserError e = assertThrows(UserError.class, () -> all(r));
        String m = e.getMessage();
        assertTrue(m.contains("record 1 of") && m.contains("data_batch_1.bin") && m.contains("label 10")
                && m.contains("0..9"), m);
    }

    @Test
    void labelOutOfRangeIsQuarantinedUnderSkip() throws IOException {
        writeValid();
        BinaryFiles.write(dir, "data_batch_1.bin", BinaryFiles.cifarRecord(0, 1), BinaryFiles.cifarRecord(1, 200));
        Cifar10Reader r = new Cifar10Reader(dir, OnCorrupt.SKIP);
        List<ReadResult> res = all(r);
        List<QuarantinedItem> bad = res.stream().filter(x -> !x.isGood()).map(ReadResult::quarantined).toList();
        assertEquals(List.of("data_batch_1.bin#1"), bad.stream().map(QuarantinedItem::source).toList());
        assertTrue(bad.get(0).reason().contains("label 200"));
        assertEquals(7, res.size());
        // the good record after the bad one keeps its id: ids follow file positions
        assertEquals("cifar10/train/000002", res.get(2).image().id());
    }

    @Test
    void unknownFormatAndPolicyAreUserErrors() {
        UserError f = assertThrows(UserError.class, () -> BinaryDatasetReader.open("mnist", new LocalFolder(dir), OnCorrupt.FAIL));
        assertTrue(f.getMessage().contains("cifar10, cifar100, stl10"));
        assertEquals(OnCorrupt.SKIP, OnCorrupt.parse("Skip"));
        assertThrows(UserError.class, () -> OnCorrupt.parse("ignore"));
    }
}
