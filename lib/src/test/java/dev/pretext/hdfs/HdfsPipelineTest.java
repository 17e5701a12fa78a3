package dev.pretext.hdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewsJob;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.IngestJob;
import dev.pretext.data.IngestResult;
import dev.pretext.data.Manifest;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.TableCommit;
import dev.pretext.data.TableInspector;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.synth.SynthDatasetWriter;

/**
 * The data jobs on a real HDFS: each case runs a job on {@code hdfs://127.0.0.1:PORT/...} paths
 * and checks the result against the same job on local paths, so what is asserted is "HDFS changes
 * nothing". One cluster serves the class (started after the Spark session; see {@link HdfsCluster}).
 *
 * <p>To add a case: write the input locally under {@link #local}, {@link HdfsCluster#copyFromLocal}
 * it to a folder of its own, run the job on {@link HdfsCluster#path} paths, and compare with the
 * local run ({@link #sortedRows} collects a table in a comparable order). The CIFAR-10 images
 * table ingested on both sides is shared through {@link #hdfsImages()} / {@link #localImages()}.
 */
class HdfsPipelineTest extends SparkTestBase {
    private static final int TRAIN = 30;
    private static final int TEST = 10;
    private static final long VIEW_SEED = 99L;

    @TempDir
    static Path local;

    static HdfsCluster hdfs;
    static Path cifarLocal;
    static String cifarHdfs;
    private static String hdfsImages;
    private static String localImages;

    @BeforeAll
    static void startHdfs() {   // after SparkTestBase.startSpark: JUnit runs the superclass's first
        hdfs = HdfsCluster.start(local.resolve("dfs"));
        cifarLocal = local.resolve("cifar10");
        new SynthDatasetWriter(7).writeCifar10(cifarLocal, TRAIN, TEST);
        cifarHdfs = hdfs.copyFromLocal(cifarLocal, "in/cifar10");
    }

    @AfterAll
    static void stopHdfs() {    // before SparkTestBase.stopSpark
        if (hdfs != null) {
            hdfs.close();
            hdfs = null;
        }
    }

    /** The CIFAR-10 input ingested onto HDFS once for the class, whichever case asks first. */
    static synchronized String hdfsImages() {
        if (hdfsImages == null) {
            IngestResult r = IngestJob.ingest(spark, "cifar10", cifarHdfs, hdfs.path("tables/cifar10"), 2,
                    OnCorrupt.FAIL, false);
            hdfsImages = r.outDir();
        }
        return hdfsImages;
    }

    /** The same input ingested onto the local disk, the reference for every comparison. */
    static synchronized String localImages() {
        if (localImages == null) {
            localImages = IngestJob.ingest(spark, "cifar10", cifarLocal.toString(),
                    local.resolve("tables").resolve("cifar10").toString(), 2, OnCorrupt.FAIL, false).outDir();
        }
        return localImages;
    }

    /**
     * All rows of {@code df}, sorted on the driver by the {@code keys} columns (each a string or a
     * number): one Spark job, where orderBy would add a sampling job and a shuffle.
     */
    @SuppressWarnings("unchecked")
    static List<Row> sortedRows(Dataset<Row> df, String... keys) {
        Comparator<Row> order = null;
        for (String k : keys) {
            Comparator<Row> byKey = Comparator.comparing(r -> (Comparable<Object>) r.getAs(k));
            order = order == null ? byKey : order.thenComparing(byKey);
        }
        List<Row> rows = new ArrayList<>(df.collectAsList());
        rows.sort(order);
        return rows;
    }

    /** Row equality that compares binary columns by content (Row.equals compares arrays by identity). */
    static void assertSameRows(List<Row> want, List<Row> got) {
        assertEquals(want.size(), got.size(), "row count");
        for (int i = 0; i < want.size(); i++) {
            Row w = want.get(i);
            Row g = got.get(i);
            assertEquals(w.length(), g.length());
            for (int c = 0; c < w.length(); c++) {
                String what = "row " + i + " (" + w.get(0) + ") column " + w.schema().fieldNames()[c];
                if (w.get(c) instanceof byte[] b) {
                    assertArrayEquals(b, (byte[]) g.get(c), what);
                } else {
                    assertEquals(w.get(c), g.get(c), what);
                }
            }
        }
    }

    @Test
    void clusterIsOnLoopbackAndItsHelpersRoundTrip() throws Exception {
        assertTrue(hdfs.uri().matches("hdfs://127\\.0\\.0\\.1:\\d+"), hdfs.uri());
        assertEquals(hdfs.uri() + "/in/cifar10", cifarHdfs);
        try (var s = Files.list(cifarLocal)) {
            assertEquals(s.map(p -> p.getFileName().toString()).sorted().toList(), hdfs.list("in/cifar10"));
        }
        assertArrayEquals(Files.readAllBytes(cifarLocal.resolve("test_batch.bin")),
                hdfs.read(cifarHdfs + "/test_batch.bin"));
        Path back = hdfs.copyToLocal("/in/cifar10", local.resolve("back"));
        assertArrayEquals(Files.readAllBytes(cifarLocal.resolve("data_batch_3.bin")),
                Files.readAllBytes(back.resolve("data_batch_3.bin")));
        assertEquals(List.of(), hdfs.list("no/such/dir"));
    }

    @Test
    void ingestOnHdfsWritesTheSameTableAsALocalIngest() {
        String table = hdfsImages();
        assertEquals(hdfs.path("tables/cifar10"), table);
        assertTrue(hdfs.list("tables").contains("cifar10"));
        assertTrue(hdfs.list("tables").stream().noneMatch(f -> f.contains(".tmp-")),
                "committed by rename: no .tmp- directory beside it: " + hdfs.list("tables"));
        List<String> files = hdfs.list("tables/cifar10");
        assertTrue(files.contains(Manifest.FILE_NAME), files.toString());
        assertEquals(2, files.stream().filter(f -> f.startsWith("part-") && f.endsWith(".parquet")).count(),
                files.toString());

        Manifest onHdfs = ImagesTable.manifest(spark, table);
        Manifest onDisk = ImagesTable.manifest(spark, localImages());
        assertEquals(Map.of("train", (long) TRAIN, "test", (long) TEST), onHdfs.counts());
        assertEquals(onDisk.counts(), onHdfs.counts());
        assertEquals(onDisk.inputs(), onHdfs.inputs(), "same file names and sizes read");
        assertEquals(cifarHdfs, onHdfs.extra().get("input_dir"));

        assertSameRows(sortedRows(ImagesTable.read(spark, localImages()), "id"),
                sortedRows(ImagesTable.read(spark, table), "id"));
        assertEquals(TEST, ImagesTable.read(spark, table, "test").count());
    }

    /** Writes the views of {@code images} as a committed table, as the augment stage does. */
    private static long materialiseViews(String images, String out) {
        try (TableCommit commit = TableCommit.begin(spark.sparkContext().hadoopConfiguration(), out, false)) {
            ViewsJob.write(ViewsJob.views(ImagesTable.read(spark, images), AugmentSpec.cifar(), VIEW_SEED, 1, 2),
                    commit.tempDir());
            long rows = spark.read().parquet(commit.tempDir()).count();
            commit.commit(Manifest.create(1, "augment", "cifar10", List.of(new Manifest.Input(images, 0)),
                    Map.of("views", rows), rows, 0, new LinkedHashMap<>()));
            return rows;
        }
    }

    @Test
    void viewsJobOnHdfsMakesTheSamePixelsAsLocally() {
        String out = hdfs.path("views/cifar10");
        assertEquals(2L * (TRAIN + TEST), materialiseViews(hdfsImages(), out));
        String reference = local.resolve("views").resolve("cifar10").toString();
        materialiseViews(localImages(), reference);
        assertEquals(List.of("cifar10"), hdfs.list("views"));
        assertTrue(hdfs.list("views/cifar10").contains(Manifest.FILE_NAME));

        List<Row> want = sortedRows(spark.read().parquet(reference),
                "id", "epoch", "view");
        List<Row> got = sortedRows(spark.read().parquet(out), "id", "epoch", "view");
        assertSameRows(want, got);
        // the views differ from each other: the comparison above is not of blank images
        assertFalse(java.util.Arrays.equals((byte[]) got.get(0).getAs("data"), (byte[]) got.get(1).getAs("data")));

        TableInspector.Inspection in = TableInspector.inspect(spark, out, 4, 3);
        assertEquals("augment", in.manifest().stage());
        assertEquals(2L * (TRAIN + TEST), in.rows());
        assertEquals(4, in.samples().size());
    }

    @Test
    void failedIngestOnHdfsLeavesNothingBehind() {
        String in = hdfs.copyFromLocal(cifarLocal, "bad/in");
        byte[] batch = hdfs.read("bad/in/data_batch_2.bin");
        batch[3 * 3073] = 77;   // label byte of record 3: CIFAR-10 labels are 0..9
        hdfs.write("bad/in/data_batch_2.bin", batch);

        UserError e = assertThrows(UserError.class, () -> IngestJob.ingest(spark, "cifar10", in,
                hdfs.path("bad/out"), 2, OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("data_batch_2.bin") && e.getMessage().contains("label 77"),
                e.getMessage());
        assertEquals(List.of("in"), hdfs.list("bad"), "no table and no .tmp- directory at the output");
    }

    @Test
    void overwriteOnHdfsReplacesTheTableAndKeepsNoOldCopy() {
        String out = hdfs.path("over/cifar10");
        hdfs.write("over/cifar10/stale.txt", new byte[]{1});
        UserError e = assertThrows(UserError.class,
                () -> IngestJob.ingest(spark, "cifar10", cifarHdfs, out, 1, OnCorrupt.FAIL, false));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(List.of("stale.txt"), hdfs.list("over/cifar10"));

        IngestResult r = IngestJob.ingest(spark, "cifar10", cifarHdfs, out, 1, OnCorrupt.FAIL, true);
        assertEquals(TRAIN + TEST, r.rows());
        // HDFS renames a directory *into* an existing one: the old table must have been moved aside
        assertFalse(hdfs.list("over/cifar10").contains("stale.txt"), hdfs.list("over/cifar10").toString());
        assertFalse(hdfs.exists("over/cifar10/cifar10"), "not nested into the old table");
        assertEquals(List.of("cifar10"), hdfs.list("over"), "no .old- or .tmp- directory left");
        assertEquals(TRAIN + TEST, ImagesTable.read(spark, out).count());
    }

    @Test
    void tableInspectorReadsTheHdfsTable() {
        TableInspector.Inspection onHdfs = TableInspector.inspect(spark, hdfsImages(), 6, 5);
        assertEquals(TRAIN + TEST, onHdfs.rows());
        assertEquals("ingest", onHdfs.manifest().stage());
        Map<String, Map<Integer, Long>> counts = onHdfs.countsBySplitAndLabel();
        assertEquals(List.of("test", "train"), List.copyOf(counts.keySet()));
        assertEquals(TRAIN, counts.get("train").values().stream().mapToLong(Long::longValue).sum());
        assertEquals(TEST, counts.get("test").values().stream().mapToLong(Long::longValue).sum());
        assertTrue(counts.get("train").keySet().stream().allMatch(l -> l >= 0 && l < 10), counts.toString());
        assertTrue(onHdfs.schema().contains("data: binary"), onHdfs.schema());
        assertTrue(onHdfs.bytes() > (TRAIN + TEST) * 3072L, "raw pixels alone are 40 x 3072 bytes: " + onHdfs.bytes());
        assertEquals(6, onHdfs.samples().size());
        assertTrue(onHdfs.toText().contains("table    " + hdfsImages()), onHdfs.toText());
        // the images row columns survive the trip: a sampled tile is a 32x32 RGB image
        assertEquals(32 * 32 * 3, onHdfs.samples().get(0).hwc().length);
        assertEquals(ImageRows.SCHEMA.fieldNames().length, ImagesTable.read(spark, hdfsImages()).columns().length);
    }

    @Test
    void imageFolderAndTarIngestOnHdfsMatchLocalAndQuarantineTheSame() throws Exception {
        Path folder = local.resolve("imagefolder");
        Map<String, byte[]> members = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            members.put("train/cat/c" + i + ".png", dev.pretext.data.imagefolder.TestImageFiles.encode(
                    dev.pretext.data.imagefolder.TestImageFiles.image(12, 10, 200, 30 * i, 0), "png"));
        }
        members.put("train/dog/d0.png", dev.pretext.data.imagefolder.TestImageFiles.encode(
                dev.pretext.data.imagefolder.TestImageFiles.image(9, 9, 0, 0, 200), "png"));
        members.put("train/dog/empty.png", new byte[0]);
        members.forEach((rel, bytes) -> dev.pretext.data.imagefolder.TestImageFiles.write(folder.resolve(rel), bytes));
        String folderHdfs = hdfs.copyFromLocal(folder, "in/imagefolder");
        String tarHdfs = hdfs.write("in/imagefolder.tar", dev.pretext.data.imagefolder.TestImageFiles.tar(members));

        dev.pretext.data.imagefolder.ImageFolderSettings d = dev.pretext.data.imagefolder.ImageFolderSettings.defaults("ds");
        dev.pretext.data.imagefolder.ImageFolderSettings s = new dev.pretext.data.imagefolder.ImageFolderSettings("ds",
                dev.pretext.data.ResizePolicy.keep(), dev.pretext.data.ImageEncoder.png(), 1_000_000, "", "train", 1,
                d.shardBytes(), d.rowGroupBytes(), 2, 1);
        IngestResult want = dev.pretext.data.imagefolder.ImageFolderIngest.run(spark, folder.toString(),
                local.resolve("tables/imagefolder").toString(), s, OnCorrupt.SKIP, false);
        IngestResult fromFolder = dev.pretext.data.imagefolder.ImageFolderIngest.run(spark, folderHdfs,
                hdfs.path("tables/imagefolder"), s, OnCorrupt.SKIP, false);
        IngestResult fromTar = dev.pretext.data.imagefolder.ImageFolderIngest.run(spark, tarHdfs,
                hdfs.path("tables/imagefolder-tar"), s, OnCorrupt.SKIP, false);

        for (IngestResult got : List.of(fromFolder, fromTar)) {
            assertTrue(got.outDir().startsWith("hdfs://127.0.0.1"), got.outDir());
            assertEquals(want.counts(), got.counts());
            assertEquals(5, got.recordsSeen());
            assertEquals(1, got.quarantined(), "the empty file");
            assertSameRows(sortedRows(ImagesTable.read(spark, want.outDir()).drop("source"), "id"),
                    sortedRows(ImagesTable.read(spark, got.outDir()).drop("source"), "id"));
            assertTrue(hdfs.list("tables").stream().noneMatch(n -> n.contains(".tmp-")));
        }
    }

    @Test
    void patchesOnHdfsAreTheLocalPatches() {
        dev.pretext.patches.PatchSettings settings = dev.pretext.patches.PatchSettings.dv2(1, AugmentSpec.cifar())
                .withViews(1, true).withSeed(3);
        var want = dev.pretext.patches.PatchesJob.run(spark, localImages(),
                local.resolve("tables/patches").toString(), settings, false);
        var got = dev.pretext.patches.PatchesJob.run(spark, hdfsImages(), hdfs.path("tables/patches"), settings, false);
        assertEquals(want.counts(), got.counts());
        assertTrue(got.outDir().startsWith("hdfs://"), got.outDir());
        Map<String, dev.pretext.patches.PatchRecord> local = new LinkedHashMap<>();
        dev.pretext.patches.PatchesTable.readRecords(spark, want.outDir(), null).collect()
                .forEach(r -> local.put(r.id() + "#" + r.view(), r));
        List<dev.pretext.patches.PatchRecord> remote =
                dev.pretext.patches.PatchesTable.readRecords(spark, got.outDir(), null).collect();
        assertEquals(local.size(), remote.size());
        for (dev.pretext.patches.PatchRecord r : remote) {
            dev.pretext.patches.PatchRecord l = local.get(r.id() + "#" + r.view());
            for (int p = 0; p < r.positions(); p++) {
                assertArrayEquals(l.patch(p).data(), r.patch(p).data(), r.id() + " view " + r.view() + " patch " + p);
            }
        }
    }
}
