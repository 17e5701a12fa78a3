package dev.pretext.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.data.Cifar100Reader;
import dev.pretext.data.Cifar10Reader;
import dev.pretext.data.CloseableIterator;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.ReadResult;
import dev.pretext.data.Stl10Reader;

class SynthDatasetWriterTest {
    @TempDir
    Path tmp;

    private static List<ImageRecord> read(dev.pretext.data.BinaryDatasetReader r) {
        List<ImageRecord> out = new ArrayList<>();
        try (CloseableIterator<ReadResult> it = r.readAll()) {
            it.forEachRemaining(x -> out.add(x.image()));
        }
        return out;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void cifar10RoundTripsThroughTheReaderWithBalancedLabels() throws IOException {
        Path dir = tmp.resolve("c10");
        SynthDatasetWriter w = new SynthDatasetWriter(7);
        w.writeCifar10(dir, 23, 10);
        assertEquals(List.of("batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"), listing(dir));
        assertEquals(5 * 3073, Files.size(dir.resolve("data_batch_1.bin")));
        assertEquals(5 * 3073, Files.size(dir.resolve("data_batch_3.bin")));
        assertEquals(4 * 3073, Files.size(dir.resolve("data_batch_4.bin")));

        Cifar10Reader reader = new Cifar10Reader(dir, OnCorrupt.FAIL);
        List<ImageRecord> recs = read(reader);
        assertEquals(33, recs.size());
        assertEquals(SynthRenderer.SHAPE_NAMES, reader.metadata().get("class_names"));
        int[] perClass = new int[10];
        recs.stream().filter(r -> r.split().equals("test")).forEach(r -> perClass[r.label()]++);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, perClass);

        // pixels survive the planar layout exactly
        ImageRecord r12 = recs.get(12);
        assertEquals("cifar10/train/000012", r12.id());
        byte[] expected = new SynthRenderer(32).render(r12.label(), w.imageSeed("cifar10/train", 12));
        assertArrayEquals(expected, r12.data());
    }

    @Test
    void sameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws IOException {
        new SynthDatasetWriter(11).writeCifar10(tmp.resolve("a"), 20, 5);
        new SynthDatasetWriter(11).writeCifar10(tmp.resolve("b"), 20, 5);
        new SynthDatasetWriter(12).writeCifar10(tmp.resolve("c"), 20, 5);
        for (String f : listing(tmp.resolve("a"))) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        }
        assertFalse(Arrays.equals(Files.readAllBytes(tmp.resolve("a/test_batch.bin")),
                Files.readAllBytes(tmp.resolve("c/test_batch.bin"))));
    }

    @Test
    void cifar100CoarseIsFineOverFive() throws IOException {
        Path dir = tmp.resolve("c100");
        new SynthDatasetWriter(3).writeCifar100(dir, 200, 20);
        Cifar100Reader reader = new Cifar100Reader(dir, OnCorrupt.FAIL);
        List<ImageRecord> recs = read(reader);
        assertEquals(220, recs.size());
        assertTrue(recs.stream().allMatch(r -> r.label2() == r.label() / 5));
        assertEquals(100, recs.stream().filter(r -> r.split().equals("train")).map(ImageRecord::label).distinct().count());
        @SuppressWarnings("unchecked")
        List<String> fine = (List<String>) reader.metadata().get("fine_label_names");
        assertEquals(100, fine.size());
        assertEquals("disc_warm_solid", fine.get(0));
        @SuppressWarnings("unchecked")
        List<String> coarse = (List<String>) reader.metadata().get("coarse_label_names");
        assertEquals(20, coarse.size());
    }

    @Test
    void stl10RoundTripsThroughTheColumnMajorLayout() throws IOException {
        Path dir = tmp.resolve("stl");
        SynthDatasetWriter w = new SynthDatasetWriter(5);
        w.writeStl10(dir, 10, 4, 3);
        assertEquals(List.of("class_names.txt", "fold_indices.txt", "test_X.bin", "test_y.bin", "train_X.bin",
                "train_y.bin", "unlabeled_X.bin"), listing(dir));
        Stl10Reader reader = new Stl10Reader(dir, OnCorrupt.FAIL);
        List<ImageRecord> recs = read(reader);
        assertEquals(17, recs.size());
        ImageRecord t3 = recs.get(3);
        assertArrayEquals(new SynthRenderer(96).render(t3.label(), w.imageSeed("stl10/train", 3)), t3.data());
        assertEquals(-1, recs.get(16).label());
        @SuppressWarnings("unchecked")
        List<List<Integer>> folds = (List<List<Integer>>) reader.metadata().get("fold_indices");
        assertEquals(10, folds.size());
        assertTrue(folds.stream().allMatch(f -> f.size() == 2 && f.stream().allMatch(i -> i >= 0 && i < 10)));
    }

    @Test
    void rewritingLeavesNoTemporaryFiles() throws IOException {
        Path dir = tmp.resolve("re");
        new SynthDatasetWriter(1).write("stl10", dir, 2, 2, 0);
        new SynthDatasetWriter(1).write("stl10", dir, 2, 2, 0);
        assertTrue(listing(dir).stream().noneMatch(n -> n.contains(".tmp-")), listing(dir).toString());
    }
}
