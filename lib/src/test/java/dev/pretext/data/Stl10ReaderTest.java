package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;

class Stl10ReaderTest {
    @TempDir
    Path dir;

    private void writeValid(boolean unlabeled) throws IOException {
        BinaryFiles.write(dir, "train_X.bin", BinaryFiles.stlImage(0), BinaryFiles.stlImage(1), BinaryFiles.stlImage(2));
        BinaryFiles.write(dir, "train_y.bin", new byte[] {1, 10, 5});
        BinaryFiles.write(dir, "test_X.bin", BinaryFiles.stlImage(3));
        BinaryFiles.write(dir, "test_y.bin", new byte[] {2});
        if (unlabeled) {
            BinaryFiles.write(dir, "unlabeled_X.bin", BinaryFiles.stlImage(4), BinaryFiles.stlImage(5));
        }
        Files.writeString(dir.resolve("class_names.txt"), "airplane\nbird\n");
        Files.writeString(dir.resolve("fold_indices.txt"), "0 2 \n1\n");
    }

    @Test
    void columnMajorPlanesBecomeRowMajorHwcAndLabelsShiftToZeroBased() throws IOException {
        writeValid(true);
        Stl10Reader r = new Stl10Reader(dir, OnCorrupt.FAIL);
        List<ReadResult> res = Cifar10ReaderTest.all(r);
        assertEquals(6, res.size());
        ImageRecord img = res.get(1).image();
        assertEquals("stl10/train/000001", img.id());
        assertEquals("train_X.bin#1", img.source());
        assertEquals(9, img.label());
        assertEquals(96, img.height());
        assertEquals(96, img.width());
        assertEquals(96 * 96 * 3, img.data().length);
        // orientation: R holds the column index, G the row index (+100)
        assertEquals(70, img.pixel(3, 70, 0));
        assertEquals(103, img.pixel(3, 70, 1));
        assertEquals(3, img.pixel(70, 3, 0));
        for (int y = 0; y < 96; y += 5) {
            for (int x = 0; x < 96; x += 3) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(BinaryFiles.stlValue(1, c, y, x), img.pixel(y, x, c));
                }
            }
        }
        assertEquals(0, res.get(0).image().label());
        assertEquals(4, res.get(2).image().label());
        ImageRecord test = res.get(3).image();
        assertEquals("stl10/test/000000", test.id());
        assertEquals(1, test.label());
        ImageRecord unl = res.get(5).image();
        assertEquals("unlabeled", unl.split());
        assertEquals(-1, unl.label());
        assertEquals("stl10/unlabeled/000001", unl.id());
        assertEquals(BinaryFiles.stlValue(5, 2, 40, 41), unl.pixel(40, 41, 2));

        assertEquals(List.of("airplane", "bird"), r.metadata().get("class_names"));
        assertEquals(List.of(List.of(0, 2), List.of(1)), r.metadata().get("fold_indices"));
        assertEquals(3L, r.inputs().get("train_y.bin"));
    }

    @Test
    void unlabeledIsOptional() throws IOException {
        writeValid(false);
        Stl10Reader r = new Stl10Reader(dir, OnCorrupt.FAIL);
        assertEquals(2, r.files().size());
        assertFalse(r.files().stream().anyMatch(f -> f.split().equals("unlabeled")));
        assertEquals(4, r.recordsSeen());
    }

    @Test
    void countMismatchBetweenXAndYIsAnError() throws IOException {
        writeValid(false);
        BinaryFiles.write(dir, "train_y.bin", new byte[] {1, 2});
        UserError e = assertThrows(UserError.class, () -> new Stl10Reader(dir, OnCorrupt.SKIP));
        assertTrue(e.getMessage().contains("train_y.bin has 2 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    @Test
    void missingLabelFileIsNamed() throws IOException {
        writeValid(false);
        Files.delete(dir.resolve("test_y.bin"));
        UserError e = assertThrows(UserError.class, () -> new Stl10Reader(dir, OnCorrupt.FAIL));
        assertTrue(e.getMessage().contains("test_y.bin is missing") && e.getMessage().contains("train_X.bin"), e.getMessage());
    }

    @Test
    void labelsOutsideOneToTenFailOrAreQuarantined() throws IOException {
        writeValid(false);
        BinaryFiles.write(dir, "train_y.bin", new byte[] {1, 0, 11});
        UserError e = assertThrows(UserError.class, () -> Cifar10ReaderTest.all(new Stl10Reader(dir, OnCorrupt.FAIL)));
        assertTrue(e.getMessage().contains("record 1 of") && e.getMessage().contains("label 0")
                && e.getMessage().contains("1..10"), e.getMessage());
        Stl10Reader skip = new Stl10Reader(dir, OnCorrupt.SKIP);
        List<ReadResult> res = Cifar10ReaderTest.all(skip);
        assertEquals(List.of("train_X.bin#1", "train_X.bin#2"),
                res.stream().filter(x -> !x.isGood()).map(x -> x.quarantined().source()).toList());
        assertEquals(skip.recordsSeen(), res.size());
    }

    @Test
    void truncatedImageFileFailsOrQuarantinesItsTail() throws IOException {
        writeValid(false);
        BinaryFiles.write(dir, "test_X.bin", BinaryFiles.stlImage(3), Arrays.copyOf(BinaryFiles.stlImage(4), 1000));
        BinaryFiles.write(dir, "test_y.bin", new byte[] {2, 3});
        UserError e = assertThrows(UserError.class, () -> new Stl10Reader(dir, OnCorrupt.FAIL));
        assertTrue(e.getMessage().contains("test_X.bin is 28648 bytes") && e.getMessage().contains("27648-byte"), e.getMessage());
        Stl10Reader skip = new Stl10Reader(dir, OnCorrupt.SKIP);
        List<ReadResult> res = Cifar10ReaderTest.all(skip);
        assertEquals(5, res.size());
        assertEquals("test_X.bin#1", res.get(4).quarantined().source());
    }

    @Test
    void readsARangeFromTheMiddleWithItsLabels() throws IOException {
        writeValid(false);
        Stl10Reader r = new Stl10Reader(dir, OnCorrupt.FAIL);
        ReadResult only = r.read(r.files().get(0), 2, 3).next();
        assertEquals(4, only.image().label());
        assertEquals(BinaryFiles.stlValue(2, 2, 10, 20), only.image().pixel(10, 20, 2));
    }
}
