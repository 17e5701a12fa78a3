package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;

class Cifar100ReaderTest {
    @TempDir
    Path dir;

    @Test
    void fineIsLabelCoarseIsLabel2AndPixelsFollowTheTwoLabelBytes() throws IOException {
        BinaryFiles.write(dir, "train.bin", BinaryFiles.cifarRecord(0, 19, 99), BinaryFiles.cifarRecord(1, 3, 17));
        BinaryFiles.write(dir, "test.bin", BinaryFiles.cifarRecord(2, 0, 0));
        Files.writeString(dir.resolve("fine_label_names.txt"), "apple\naquarium_fish\n");
        Cifar100Reader r = new Cifar100Reader(dir, OnCorrupt.FAIL);
        List<ReadResult> res = Cifar10ReaderTest.all(r);
        assertEquals(3, res.size());
        ImageRecord a = res.get(0).image();
        assertEquals(99, a.label());
        assertEquals(19, a.label2());
        assertEquals("cifar100/train/000000", a.id());
        ImageRecord b = res.get(1).image();
        assertEquals(17, b.label());
        assertEquals(3, b.label2());
        assertEquals("train.bin#1", b.source());
        for (int y = 0; y < 32; y += 7) {
            for (int x = 0; x < 32; x += 5) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(BinaryFiles.cifarValue(1, c, y, x), b.pixel(y, x, c));
                }
            }
        }
        assertEquals("cifar100/test/000000", res.get(2).image().id());
        assertEquals(List.of("apple", "aquarium_fish"), r.metadata().get("fine_label_names"));
    }

    @Test
    void badCoarseAndFineLabelsAreNamed() throws IOException {
        BinaryFiles.write(dir, "train.bin", BinaryFiles.cifarRecord(0, 20, 5));
        BinaryFiles.write(dir, "test.bin", BinaryFiles.cifarRecord(1, 1, 100));
        UserError coarse = assertThrows(UserError.class, () -> Cifar10ReaderTest.all(new Cifar100Reader(dir, OnCorrupt.FAIL)));
        assertTrue(coarse.getMessage().contains("coarse label 20") && coarse.getMessage().contains("0..19"), coarse.getMessage());
        List<ReadResult> res = Cifar10ReaderTest.all(new Cifar100Reader(dir, OnCorrupt.SKIP));
        assertEquals(2, res.size());
        assertTrue(res.get(1).quarantined().reason().contains("fine label 100"), res.get(1).quarantined().reason());
        assertEquals("test.bin#0", res.get(1).quarantined().source());
    }

    @Test
    void wrongSizeIsAnError() throws IOException {
        BinaryFiles.write(dir, "train.bin", BinaryFiles.cifarRecord(0, 1, 5), new byte[3073]);
        BinaryFiles.write(dir, "test.bin", BinaryFiles.cifarRecord(1, 1, 6));
        UserError e = assertThrows(UserError.class, () -> new Cifar100Reader(dir, OnCorrupt.FAIL));
        assertTrue(e.getMessage().contains("train.bin") && e.getMessage().contains("6147 bytes")
                && e.getMessage().contains("3074-byte"), e.getMessage());
    }
}
