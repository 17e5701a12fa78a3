package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.synth.SynthDatasetWriter;

class IngestJobTest extends SparkTestBase {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path cifar;
    static Path stl;

    @BeforeAll
    static void writeInputs() {
        cifar = shared.resolve("cifar10");
        new SynthDatasetWriter(1).writeCifar10(cifar, 50, 20);
        stl = shared.resolve("stl10");
        new SynthDatasetWriter(2).writeStl10(stl, 10, 5, 7);
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : listing(from)) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
        return to;
    }

    @Test
    void cifar10EndToEnd() throws IOException {
        Path out = tmp.resolve("tables").resolve("c10");
        // 7 records per task: each batch file is cut into two ranges
        IngestResult res = new IngestJob(7 * 3073).run(spark, "cifar10", cifar.toString(), out.toString(), 3,
                OnCorrupt.FAIL, false);
        assertEquals(Map.of("train", 50L, "test", 20L), res.counts());
        assertEquals(70, res.recordsSeen());
        assertEquals(70, res.rows());
        assertEquals(0, res.quarantined());

        // committed atomically: the table and nothing beside it
        assertEquals(List.of("c10"), listing(out.getParent()));
        List<String> files = listing(out);
        assertEquals(3, files.stream().filter(f -> f.startsWith("part-") && f.endsWith(".parquet")).count(), files.toString());
        assertTrue(files.contains(Manifest.FILE_NAME));
        assertFalse(files.contains(QuarantineTable.DIR), "no quarantine table under FAIL");

        Manifest m = Manifest.fromJson(Files.readString(out.resolve(Manifest.FILE_NAME)));
        assertEquals(1, m.schemaVersion());
        assertEquals("ingest", m.stage());
        assertEquals("cifar10", m.format());
        assertEquals(Map.of("train", 50L, "test", 20L), m.counts());
        assertEquals(70, m.rows());
        assertEquals(70, m.recordsSeen());
        assertEquals(0, m.quarantined());
        assertTrue(m.inputs().contains(new Manifest.Input("data_batch_1.bin", 10 * 3073L)), m.inputs().toString());
        assertTrue(m.inputs().contains(new Manifest.Input("batches.meta.txt", Files.size(cifar.resolve("batches.meta.txt")))));
        assertEquals(List.of("disc", "ring", "square", "triangle", "cross", "stripes", "checker", "star", "crescent",
                "dots"), m.extra().get("class_names"));
        assertEquals(3, m.extra().get("shards"));
        assertEquals(m, ImagesTable.manifest(spark, out.toString()));

        // the table holds exactly what the reader reads, pixels included (records are mapped to
        // tuples before collecting: collecting records needs DataKryoRegistrator in the session)
        Map<String, scala.Tuple2<Integer, byte[]>> byId = ImagesTable.readRecords(spark, out.toString(), "test")
                .mapToPair(r -> new scala.Tuple2<>(r.id(), new scala.Tuple2<>(r.label(), r.data()))).collectAsMap();
        assertEquals(20, byId.size());
        try (CloseableIterator<ReadResult> it = new Cifar10Reader(cifar, OnCorrupt.FAIL).readAll()) {
            int matched = 0;
            while (it.hasNext()) {
                ImageRecord want = it.next().image();
                scala.Tuple2<Integer, byte[]> got = byId.get(want.id());
                if (got != null) {
                    assertEquals(want.label(), got._1());
                    assertArrayEquals(want.data(), got._2());
                    matched++;
                }
            }
            assertEquals(20, matched);
        }
        ImageRecord first = ImageRows.fromRow(ImagesTable.read(spark, out.toString()).where("id = 'cifar10/train/000000'").first());
        assertEquals("data_batch_1.bin#0", first.source());
        assertEquals(32 * 32 * 3, first.data().length);
        assertEquals(70, ImagesTable.read(spark, out.toString()).select("id").distinct().count());
    }

    @Test
    void stl10EndToEndKeepsClassNamesAndFolds() {
        Path out = tmp.resolve("s10");
        IngestResult res = IngestJob.ingest(spark, "stl10", stl.toString(), out.toString(), 2, OnCorrupt.SKIP, false);
        assertEquals(Map.of("train", 10L, "test", 5L, "unlabeled", 7L), res.counts());
        assertEquals(List.of("train", "test", "unlabeled"), List.copyOf(res.counts().keySet()));
        assertEquals(0, res.quarantined());
        Manifest m = ImagesTable.manifest(spark, out.toString());
        assertEquals(10, ((List<?>) m.extra().get("fold_indices")).size());
        assertEquals(10, ((List<?>) m.extra().get("class_names")).size());
        assertEquals(0, QuarantineTable.read(spark, out.toString()).count());
        List<Row> unl = ImagesTable.read(spark, out.toString(), "unlabeled").select("label", "height", "width").collectAsList();
        assertEquals(7, unl.size());
        assertTrue(unl.stream().allMatch(r -> r.getInt(0) == -1 && r.getInt(1) == 96 && r.getInt(2) == 96));
    }

    @Test
    void existingOutputIsAnErrorUnlessOverwrite() throws IOException {
        Path out = tmp.resolve("exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        UserError e = assertThrows(UserError.class,
                () -> IngestJob.ingest(spark, "cifar10", cifar.toString(), out.toString(), 1, OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains("overwrite"), e.getMessage());
        assertEquals(List.of("keep.txt"), listing(out));

        IngestResult res = IngestJob.ingest(spark, "cifar10", cifar.toString(), out.toString(), 1, OnCorrupt.FAIL, true);
        assertEquals(70, res.rows());
        assertFalse(listing(out).contains("keep.txt"));
        assertEquals(List.of("exists"), listing(tmp), "no .tmp- or .old- directories left");
    }

    @Test
    void skipQuarantinesPlantedBadRecordsAndReconciles() throws IOException {
        Path in = copy(cifar, tmp.resolve("bad-in"));
        plantLabel(in.resolve("data_batch_2.bin"), 3, 77);
        Files.write(in.resolve("test_batch.bin"), new byte[100], java.nio.file.StandardOpenOption.APPEND);
        Path out = tmp.resolve("bad-out");
        IngestResult res = new IngestJob(4 * 3073).run(spark, "cifar10", in.toString(), out.toString(), 2,
                OnCorrupt.SKIP, false);
        assertEquals(71, res.recordsSeen());
        assertEquals(2, res.quarantined());
        assertEquals(69, res.rows());
        assertEquals(Map.of("train", 49L, "test", 20L), res.counts());
        assertEquals(res.recordsSeen(), res.rows() + res.quarantined());
        assertEquals(2, ImagesTable.manifest(spark, out.toString()).quarantined());

        Map<String, String> q = new HashMap<>();
        for (Row r : QuarantineTable.read(spark, out.toString()).collectAsList()) {
            q.put(r.getString(0), r.getString(1));
        }
        assertEquals(2, q.size(), q.toString());
        assertTrue(q.get("data_batch_2.bin#3").contains("label 77"), q.toString());
        assertTrue(q.get("test_batch.bin#20").contains("truncated"), q.toString());
        // the quarantine directory is not read as part of the images table
        assertEquals(69, ImagesTable.read(spark, out.toString()).count());
        assertTrue(ImagesTable.read(spark, out.toString()).where("id = 'cifar10/train/000013'").isEmpty());
        assertFalse(ImagesTable.read(spark, out.toString()).where("id = 'cifar10/train/000014'").isEmpty());
    }

    @Test
    void failNamesTheBadRecordAndLeavesNothing() throws IOException {
        Path in = copy(cifar, tmp.resolve("bad-in"));
        plantLabel(in.resolve("data_batch_2.bin"), 3, 77);
        Path out = tmp.resolve("out");
        UserError e = assertThrows(UserError.class,
                () -> IngestJob.ingest(spark, "cifar10", in.toString(), out.toString(), 2, OnCorrupt.FAIL, false));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("CIFAR-10 record 3 of") && msg.contains("data_batch_2.bin") && msg.contains("label 77")
                && msg.contains("0..9"), msg);
        assertEquals(List.of("bad-in"), listing(tmp), "nothing at <out>, no temporary directory");
    }

    @Test
    void badInputFailsOnTheDriverBeforeSparkWork() throws IOException {
        Path in = copy(stl, tmp.resolve("stl-in"));
        Files.delete(in.resolve("test_y.bin"));
        Path out = tmp.resolve("out");
        long jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
        UserError e = assertThrows(UserError.class,
                () -> IngestJob.ingest(spark, "stl10", in.toString(), out.toString(), 2, OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("test_y.bin is missing"), e.getMessage());
        assertEquals(jobsBefore, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
        assertFalse(Files.exists(out));
        UserError shards = assertThrows(UserError.class,
                () -> IngestJob.ingest(spark, "stl10", stl.toString(), out.toString(), 0, OnCorrupt.FAIL, false));
        assertTrue(shards.getMessage().contains("shards"));
    }

    @Test
    void tasksCoverEveryRecordAndTheQuarantinePassSkipsUnlabeledPixels() throws IOException {
        Path in = copy(stl, tmp.resolve("stl-in"));
        Files.write(in.resolve("unlabeled_X.bin"), new byte[5], java.nio.file.StandardOpenOption.APPEND);
        Stl10Reader reader = new Stl10Reader(in, OnCorrupt.SKIP);
        List<IngestJob.ReadTask> tasks = new IngestJob(3 * 27648L).plan(reader.files());
        // train 10 -> 4 ranges, test 5 -> 2, unlabeled 7 + truncated tail -> 3
        assertEquals(9, tasks.size());
        for (int i = 0; i < reader.files().size(); i++) {
            int file = i;
            long covered = tasks.stream().filter(t -> t.file() == file).mapToLong(t -> t.to() - t.from()).sum();
            assertEquals(reader.files().get(i).seen(), covered);
        }
        List<IngestJob.ReadTask> checks = IngestJob.checkTasks(reader, tasks);
        assertEquals(7, checks.size());
        assertEquals(new IngestJob.ReadTask(2, 7, 8), checks.get(6));
    }

    /** Overwrites the label byte of CIFAR-10 record {@code index} in {@code file}. */
    private static void plantLabel(Path file, int index, int label) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek((long) index * 3073);
            f.write(label);
        }
    }
}
