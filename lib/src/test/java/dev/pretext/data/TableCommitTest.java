package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;

class TableCommitTest {
    @TempDir
    Path tmp;
    private final Configuration conf = new Configuration();

    private List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
        }
    }

    private static Manifest manifest(long rows) {
        return Manifest.create(1, "test", "none", List.of(new Manifest.Input("a.bin", 3)), Map.of("train", rows), rows, 0,
                Map.of());
    }

    /** Stands in for a Spark writer: a part file in the temporary directory. */
    private static void writePart(TableCommit c, String text) throws IOException {
        Path dir = Path.of(java.net.URI.create(c.tempDir()));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("part-0"), text);
    }

    @Test
    void commitRenamesTheTemporarySiblingAndWritesTheManifestLast() throws IOException {
        Path out = tmp.resolve("t");
        try (TableCommit c = TableCommit.begin(conf, out.toString(), false)) {
            assertTrue(c.tempDir().contains("t.tmp-"), c.tempDir());
            writePart(c, "x");
            assertEquals(1, listing(tmp).size());
            assertTrue(listing(tmp).get(0).startsWith("t.tmp-"));
            c.commit(manifest(5));
        }
        assertEquals(List.of("t"), listing(tmp));
        assertEquals(List.of(Manifest.FILE_NAME, "part-0"), listing(out));
        assertEquals(5, Manifest.read(conf, out.toString()).rows());
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws IOException {
        Path out = tmp.resolve("t");
        try (TableCommit c = TableCommit.begin(conf, out.toString(), false)) {
            writePart(c, "half");
            // a failure here: no commit
        }
        assertEquals(List.of(), listing(tmp));
    }

    @Test
    void existingOutputFailsUpFrontUnlessOverwrite() throws IOException {
        Path out = tmp.resolve("t");
        Files.createDirectories(out);
        Files.writeString(out.resolve("old"), "old");
        UserError e = assertThrows(UserError.class, () -> TableCommit.begin(conf, out.toString(), false));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());

        try (TableCommit c = TableCommit.begin(conf, out.toString(), true)) {
            writePart(c, "new");
            c.commit(manifest(1));
        }
        assertEquals(List.of(Manifest.FILE_NAME, "part-0"), listing(out));
        assertEquals(List.of("t"), listing(tmp), "the old table moved aside was deleted");
    }

    @Test
    void outputCreatedDuringTheWriteIsNotClobbered() throws IOException {
        Path out = tmp.resolve("t");
        try (TableCommit c = TableCommit.begin(conf, out.toString(), false)) {
            writePart(c, "mine");
            Files.createDirectories(out);
            assertThrows(UserError.class, () -> c.commit(manifest(1)));
            assertFalse(c.committed());
        }
        assertEquals(List.of("t"), listing(tmp));
        assertEquals(List.of(), listing(out));
    }

    @Test
    void manifestJsonRoundTripsAndTablesWithoutOneAreRejected() throws IOException {
        Manifest m = Manifest.create(1, "ingest", "stl10", List.of(new Manifest.Input("train_X.bin", 27648)),
                Map.of("train", 1L), 2, 1, Map.of("fold_indices", List.of(List.of(0))));
        String json = m.toJson();
        for (String key : List.of("\"schemaVersion\" : 1", "\"stage\" : \"ingest\"", "\"recordsSeen\" : 2",
                "\"quarantined\" : 1", "\"sizeBytes\" : 27648", "\"createdAt\"", "\"codeVersion\"")) {
            assertTrue(json.contains(key), key + " in " + json);
        }
        assertEquals(m, Manifest.fromJson(json));
        Files.createDirectories(tmp.resolve("half"));
        UserError e = assertThrows(UserError.class, () -> Manifest.read(conf, tmp.resolve("half").toString()));
        assertTrue(e.getMessage().contains("not a committed"), e.getMessage());
    }
}
