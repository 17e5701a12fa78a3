package dev.pretext.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.data.ImageDecoder;
import dev.pretext.data.ImageEncoder;

class SynthImageFolderWriterTest {
    @TempDir
    Path tmp;

    private static List<Path> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void writesDecodableJpegsPerClassAndTheSameSeedGivesTheSameBytes() throws Exception {
        long bytes = new SynthImageFolderWriter(3, 16, ImageEncoder.jpeg(90)).write(tmp.resolve("a"), "train", 23, 2);
        new SynthImageFolderWriter(3, 16, ImageEncoder.jpeg(90)).write(tmp.resolve("b"), "train", 23, 1);
        List<Path> a = files(tmp.resolve("a"));
        List<Path> b = files(tmp.resolve("b"));
        assertEquals(23, a.size());
        assertEquals(SynthRenderer.SHAPES, a.stream().map(p -> p.getParent().getFileName().toString()).distinct().count());
        assertTrue(a.get(0).toString().endsWith(".JPEG"));
        long sum = 0;
        for (int i = 0; i < a.size(); i++) {
            byte[] x = Files.readAllBytes(a.get(i));
            assertArrayEquals(x, Files.readAllBytes(b.get(i)), a.get(i).toString());
            ImageDecoder.Result r = new ImageDecoder().decode(x, a.get(i).toString());
            assertTrue(r.isOk(), r.toString());
            assertEquals(16, r.image().height());
            sum += x.length;
        }
        assertEquals(sum, bytes);
    }
}
