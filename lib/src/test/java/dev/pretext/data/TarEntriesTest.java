package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.data.TarEntries.TarException;

class TarEntriesTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] filled(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** Every member's name and data, read through {@link TarEntries#readAll}. */
    private static Map<String, byte[]> readAll(byte[] archive) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(archive), "t.tar")) {
            for (TarEntry e = t.next(); e != null; e = t.next()) {
                out.put(e.name(), t.readAll(Long.MAX_VALUE));
            }
        }
        return out;
    }

    @Test
    void readsRegularFilesAndPassesOverDirectoriesAndLinks() throws Exception {
        byte[] a = filled(1000, 1), b = new byte[0], c = filled(512, 3);
        byte[] tar = new ImageFiles.Tar().directory("train").file("train/a.jpg", a).symlink("train/link", "a.jpg")
                .file("train/empty", b).raw("fifo", '6', new byte[0]).file("train/c.png", c).end().bytes();
        List<TarEntry> entries = new ArrayList<>();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(tar), "t.tar")) {
            for (TarEntry e = t.next(); e != null; e = t.next()) {
                entries.add(e);
            }
            assertNull(t.next());
            assertEquals(tar.length, t.position());
        }
        assertEquals(List.of("train/a.jpg", "train/empty", "train/c.png"),
                entries.stream().map(TarEntry::name).toList());
        assertEquals(List.of(1000L, 0L, 512L), entries.stream().map(TarEntry::size).toList());
        Map<String, byte[]> data = readAll(tar);
        assertArrayEquals(a, data.get("train/a.jpg"));
        assertArrayEquals(b, data.get("train/empty"));
        assertArrayEquals(c, data.get("train/c.png"));
        // Offsets point at the data in the stream.
        for (TarEntry e : entries) {
            assertEquals(0, e.dataOffset() % 512);
            assertEquals(e.dataOffset() - 512, e.headerOffset());
            assertArrayEquals(data.get(e.name()),
                    Arrays.copyOfRange(tar, (int) e.dataOffset(), (int) (e.dataOffset() + e.size())));
        }
        assertEquals("t.tar/train/a.jpg", entries.get(0).source());
        assertEquals("a.jpg", entries.get(0).fileName());
    }

    @Test
    void longNamesUstarPrefixGnuAndPax() throws Exception {
        String dir = "d".repeat(60) + "/" + "e".repeat(60);
        String ustar = dir + "/" + "f".repeat(50) + ".jpg";
        String gnu = "g".repeat(150) + "/" + "h".repeat(120) + ".JPEG";
        String pax = "ünïcode/" + "p".repeat(200) + ".png";
        byte[] tar = new ImageFiles.Tar().file(ustar, bytes("u")).gnuLongName(gnu, bytes("g")).paxPath(pax, bytes("p"))
                .file("short", bytes("s")).end().bytes();
        Map<String, byte[]> data = readAll(tar);
        assertEquals(List.of(ustar, gnu, pax, "short"), new ArrayList<>(data.keySet()));
        assertArrayEquals(bytes("g"), data.get(gnu));
        assertArrayEquals(bytes("p"), data.get(pax));
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(tar), "t.tar")) {
            t.next();
            TarEntry g = t.next();
            // The member starts at its long-name header: one header + one block of name before its own header.
            assertEquals(g.dataOffset() - 3 * 512, g.headerOffset());
        }
    }

    @Test
    void paxSizeOverridesTheUstarField() throws Exception {
        byte[] data = filled(700, 9);
        byte[] record = bytes("12 size=700\n");
        byte[] tar = new ImageFiles.Tar().raw("PaxHeaders/x", 'x', record)
                .append(ImageFiles.Tar.header("big.bin", "", 0, '0', "", true, 0)).append(data)
                .append(new byte[1024 - 700]).end().bytes();
        Map<String, byte[]> read = readAll(tar);
        assertArrayEquals(data, read.get("big.bin"));
    }

    @Test
    void base256Size() throws Exception {
        byte[] data = filled(1000, 2);
        byte[] header = ImageFiles.Tar.header("b256", "", 0, '0', "", false, 0);
        Arrays.fill(header, 124, 136, (byte) 0);
        header[124] = (byte) 0x80;
        header[134] = (byte) (1000 >> 8);
        header[135] = (byte) (1000 & 0xff);
        ImageFiles.Tar.fixChecksum(header, 0);
        byte[] tar = new ImageFiles.Tar().append(header).append(data).append(new byte[24]).end().bytes();
        assertArrayEquals(data, readAll(tar).get("b256"));
    }

    @Test
    void readsWhatCommonsCompressWrites() throws Exception {
        String gnuLong = "x".repeat(180) + "/gnu.jpg";
        String posixLong = "y".repeat(180) + "/posix.jpg";
        Map<String, byte[]> written = new LinkedHashMap<>();
        written.put("plain.jpg", filled(777, 4));
        written.put(gnuLong, filled(5000, 5));
        ByteArrayOutputStream gnuBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(gnuBytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(e.getValue().length);
                out.putArchiveEntry(te);
                out.write(e.getValue());
                out.closeArchiveEntry();
            }
        }
        Map<String, byte[]> read = readAll(gnuBytes.toByteArray());
        assertEquals(written.keySet(), read.keySet());
        assertArrayEquals(written.get(gnuLong), read.get(gnuLong));

        ByteArrayOutputStream posixBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(posixBytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry te = new TarArchiveEntry(posixLong);
            te.setSize(3);
            out.putArchiveEntry(te);
            out.write(bytes("abc"));
            out.closeArchiveEntry();
        }
        assertArrayEquals(bytes("abc"), readAll(posixBytes.toByteArray()).get(posixLong));
    }

    /** Counts bytes delivered by read() apart from those passed by skip(). */
    private static final class Counting extends FilterInputStream {
        long read;
        long skipped;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            read += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            read += Math.max(0, n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            skipped += s;
            return s;
        }
    }

    @Test
    void unreadDataIsSkippedNotRead() throws Exception {
        byte[] tar = new ImageFiles.Tar().file("a", filled(100_000, 1)).file("b", filled(70_000, 2)).end().bytes();
        Counting in = new Counting(new ByteArrayInputStream(tar));
        int n = 0;
        try (TarEntries t = new TarEntries(in, "t.tar")) {
            while (t.next() != null) {
                n++;
            }
        }
        assertEquals(2, n);
        assertEquals(4 * 512, in.read); // two headers and the two end blocks
        assertEquals(tar.length - 4 * 512, in.skipped);
    }

    @Test
    void partlyReadMemberThenNext() throws Exception {
        byte[] a = filled(3000, 1), b = filled(10, 2);
        byte[] tar = new ImageFiles.Tar().file("a", a).file("b", b).end().bytes();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(tar), "t.tar")) {
            t.next();
            InputStream s = t.stream();
            byte[] first = s.readNBytes(100);
            assertArrayEquals(Arrays.copyOf(a, 100), first);
            assertEquals(50, s.skip(50));
            assertArrayEquals(Arrays.copyOfRange(a, 150, 3000), t.readAll(5000));
            assertEquals(-1, s.read());
            assertEquals("b", t.next().name());
            assertThrows(IllegalStateException.class, s::read); // stale stream of member a
            assertArrayEquals(b, t.readAll(10));
            assertNull(t.next());
        }
    }

    @Test
    void tooLargeForTheLimitLeavesTheArchiveReadable() throws Exception {
        byte[] tar = new ImageFiles.Tar().file("big", filled(2000, 1)).file("small", bytes("ok")).end().bytes();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(tar), "t.tar")) {
            t.next();
            TarException e = assertThrows(TarException.class, () -> t.readAll(1000));
            assertEquals(TarException.Kind.TOO_LARGE, e.kind());
            assertEquals("big", e.member());
            assertTrue(e.getMessage().contains("2000") && e.getMessage().contains("1000"), e.getMessage());
            assertEquals("small", t.next().name());
            assertArrayEquals(bytes("ok"), t.readAll(1000));
        }
    }

    private static byte[] twoMembers() {
        return new ImageFiles.Tar().file("first.jpg", filled(600, 1)).file("second.jpg", filled(5000, 2)).end().bytes();
    }

    @Test
    void truncatedMemberIsNamedWhenRead() throws Exception {
        byte[] tar = twoMembers();
        byte[] cut = Arrays.copyOf(tar, 2048 + 2500); // inside second.jpg's data (2048..7048)
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(cut), "cut.tar")) {
            assertEquals("first.jpg", t.next().name());
            assertEquals("second.jpg", t.next().name());
            TarException e = assertThrows(TarException.class, () -> t.readAll(Long.MAX_VALUE));
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertEquals("second.jpg", e.member());
            assertTrue(e.getMessage().contains("second.jpg") && e.getMessage().contains("5000")
                    && e.getMessage().contains("cut.tar"), e.getMessage());
        }
    }

    @Test
    void truncatedMemberIsNamedWhenSkipped() throws Exception {
        byte[] cut = Arrays.copyOf(twoMembers(), 2048 + 2500);
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(cut), "cut.tar")) {
            t.next();
            t.next();
            TarException e = assertThrows(TarException.class, t::next);
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertEquals("second.jpg", e.member());
        }
    }

    @Test
    void truncatedMemberOfAFileStreamWhoseSkipPassesTheEnd(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cut.tar");
        Files.write(file, Arrays.copyOf(twoMembers(), 2048 + 2500));
        try (TarEntries t = new TarEntries(new BufferedInputStream(new FileInputStream(file.toFile())), "cut.tar")) {
            t.next();
            t.next();
            TarException e = assertThrows(TarException.class, t::next);
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertEquals("second.jpg", e.member());
            assertTrue(e.getMessage().contains("second.jpg") && e.getMessage().contains("incomplete"), e.getMessage());
        }
    }

    @Test
    void truncatedAtAHeaderOrWithoutTheEndMarker() throws Exception {
        byte[] tar = twoMembers();
        // Ends inside the second header (first.jpg: header at 0, 600 bytes of data padded to 1536).
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(Arrays.copyOf(tar, 1536 + 100)), "c.tar")) {
            t.next();
            TarException e = assertThrows(TarException.class, t::next);
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertTrue(e.getMessage().contains("header block at offset 1536"), e.getMessage());
        }
        // Ends after the last member with no end-of-archive blocks.
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(Arrays.copyOf(tar, tar.length - 1024)), "c.tar")) {
            t.next();
            t.next();
            TarException e = assertThrows(TarException.class, t::next);
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertEquals("second.jpg", e.member());
            assertTrue(e.getMessage().contains("end-of-archive"), e.getMessage());
        }
        // An empty stream is no archive.
        TarException e = assertThrows(TarException.class,
                () -> new TarEntries(new ByteArrayInputStream(new byte[0]), "e.tar").next());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        // Only one of the two end blocks: accepted, as GNU tar does.
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(Arrays.copyOf(tar, tar.length - 512)), "c.tar")) {
            assertNotNull(t.next());
            assertNotNull(t.next());
            assertNull(t.next());
        }
    }

    @Test
    void badChecksumNamesTheOffset() throws Exception {
        byte[] tar = twoMembers();
        tar[1536 + 10] ^= 0x20; // a byte of the second header's name (first.jpg: header, 600 bytes + padding)
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(tar), "bad.tar")) {
            t.next();
            TarException e = assertThrows(TarException.class, t::next);
            assertEquals(TarException.Kind.BAD_CHECKSUM, e.kind());
            assertEquals(1536, e.offset());
            assertTrue(e.getMessage().contains("offset 1536") && e.getMessage().contains("bad.tar"), e.getMessage());
        }
        byte[] notTar = new byte[2048];
        Arrays.fill(notTar, (byte) 'z');
        TarException e = assertThrows(TarException.class,
                () -> new TarEntries(new ByteArrayInputStream(notTar), "text.tar").next());
        assertTrue(e.getMessage().contains("not a tar archive"), e.getMessage());
        byte[] badSize = twoMembers();
        badSize[124] = '9';
        ImageFiles.Tar.fixChecksum(badSize, 0);
        e = assertThrows(TarException.class, () -> new TarEntries(new ByteArrayInputStream(badSize), "s.tar").next());
        assertEquals(TarException.Kind.BAD_HEADER, e.kind());
        assertTrue(e.getMessage().contains("octal"), e.getMessage());
    }

    private static byte[] jpegOf(int rgb) throws IOException {
        return ImageFiles.jpeg(ImageFiles.rgbImage(16, 8, (x, y) -> rgb), 95);
    }

    /** ILSVRC-2012 train layout: an outer tar of per-class tars of JPEGs. */
    private static byte[] imagenetLike() throws IOException {
        byte[] n01 = new ImageFiles.Tar().file("n01440764_10026.JPEG", jpegOf(0xff0000))
                .file("n01440764_10027.JPEG", jpegOf(0x00ff00)).end().bytes();
        byte[] n02 = new ImageFiles.Tar().file("n01443537_2.JPEG", jpegOf(0x0000ff)).end().bytes();
        return new ImageFiles.Tar().file("n01440764.tar", n01).file("n01443537.tar", n02).end().bytes();
    }

    @Test
    void nestedTarsAreReadThroughTheOuterStream() throws Exception {
        byte[] outer = imagenetLike();
        ImageDecoder decoder = new ImageDecoder();
        List<String> sources = new ArrayList<>();
        List<Integer> reds = new ArrayList<>();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(outer), "train.tar")) {
            for (TarEntry cls = t.next(); cls != null; cls = t.next()) {
                assertTrue(cls.isTar());
                TarEntries inner = t.openNested();
                for (TarEntry img = inner.next(); img != null; img = inner.next()) {
                    sources.add(img.source());
                    byte[] data = inner.readAll(1 << 20);
                    // Offsets of inner members are offsets in the outer stream.
                    assertArrayEquals(data, Arrays.copyOfRange(outer, (int) img.dataOffset(),
                            (int) (img.dataOffset() + img.size())));
                    reds.add(decoder.decode(data, img.source()).orThrow().pixel(4, 8, 0));
                }
            }
        }
        assertEquals(List.of("train.tar/n01440764.tar/n01440764_10026.JPEG",
                "train.tar/n01440764.tar/n01440764_10027.JPEG", "train.tar/n01443537.tar/n01443537_2.JPEG"), sources);
        assertTrue(reds.get(0) > 240 && reds.get(1) < 15 && reds.get(2) < 15, reds.toString());
    }

    @Test
    void aPlannerCanReopenAnInnerTarAtItsOffset() throws Exception {
        byte[] outer = imagenetLike();
        List<TarEntry> plan = new ArrayList<>();
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(outer), "train.tar")) {
            for (TarEntry e = t.next(); e != null; e = t.next()) {
                plan.add(e);
            }
        }
        TarEntry second = plan.get(1);
        ByteArrayInputStream seekable = new ByteArrayInputStream(outer);
        assertEquals(second.dataOffset(), seekable.skip(second.dataOffset()));
        try (TarEntries inner = TarEntries.nested(seekable, second)) {
            TarEntry img = inner.next();
            assertEquals("train.tar/n01443537.tar/n01443537_2.JPEG", img.source());
            assertEquals(second.dataOffset() + 512, img.dataOffset());
            assertTrue(new ImageDecoder().decode(inner.readAll(1 << 20), img.name()).isOk());
            assertNull(inner.next());
        }
        // The inner reader stops at the member's size: what follows in the outer stream is untouched.
        long end = second.dataOffset() + second.size();
        assertEquals(outer.length - end, seekable.available());
    }

    @Test
    void truncatedOuterMemberIsNamedFromInsideTheInnerTar() throws Exception {
        byte[] outer = imagenetLike();
        TarEntry second;
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(outer), "train.tar")) {
            t.next();
            second = t.next();
        }
        byte[] cut = Arrays.copyOf(outer, (int) second.dataOffset() + 700); // inside the inner JPEG
        try (TarEntries t = new TarEntries(new ByteArrayInputStream(cut), "train.tar")) {
            t.next();
            t.next();
            TarEntries inner = t.openNested();
            assertEquals("n01443537_2.JPEG", inner.next().name());
            TarException e = assertThrows(TarException.class, () -> inner.readAll(1 << 20));
            assertEquals(TarException.Kind.TRUNCATED, e.kind());
            assertEquals("n01443537.tar", e.member());
            assertEquals("train.tar", e.archive());
        }
    }
}
