package dev.pretext.cli;

import dev.pretext.data.Manifest;
import dev.pretext.data.TableCommit;
import dev.pretext.eval.FeatureTable;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code export} through the command line: the .npy files parsed here by a reader of our own (the
 * format's header, then the raw little-endian floats) hold exactly the features table's vectors,
 * as float32, in id order with the ids and labels of the CSV beside them; CSV the same; the size
 * guard, an unknown format and a missing table are user errors (exit 2) that leave nothing behind.
 */
class ExportCommandTest {
    @TempDir
    static Path dir;
    static String table;
    /** id -> (split, label, vector): what the table holds. */
    static final Map<String, Object[]> rows = new TreeMap<>();
    static final int DIM = 7;

    @BeforeAll
    static void featuresTable() {
        Random r = new Random(3);
        List<Row> data = new ArrayList<>();
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? 40 : 13;
            for (int i = 0; i < n; i++) {
                // ids not in insertion order, one with a comma (quoted in the CSV)
                String id = "cifar10/" + split + "/" + String.format("%05d", (i * 37) % 1000) + (i == 5 ? ",x" : "");
                double[] v = new double[DIM];
                for (int k = 0; k < DIM; k++) {
                    v[k] = r.nextGaussian() * Math.pow(10, k - 3);   // 1e-3 .. 1e3: float rounding shows
                }
                int label = r.nextInt(10);
                rows.put(id, new Object[]{split, label, v});
                data.add(RowFactory.create(id, split, label, "embedding", Vectors.dense(v)));
            }
        }
        table = dir.resolve("features/pretrained").toString();
        SparkSession spark = SparkSessions.getOrCreate("local[2]", "export-test");
        try (TableCommit c = TableCommit.begin(spark.sparkContext().hadoopConfiguration(), table, false)) {
            spark.createDataFrame(data, FeatureTable.SCHEMA).repartition(3).write().parquet(c.tempDir());
            c.commit(Manifest.create(1, "features", "cifar10", List.of(), Map.of("train", 40L, "test", 13L), 53, 0,
                    Map.of()));
        } finally {
            spark.stop();
        }
    }

    /** A .npy file read with nothing but its header's documented fields. */
    record Npy(String descr, boolean fortran, int[] shape, float[] values) {
        static Npy read(Path f) throws Exception {
            byte[] b = Files.readAllBytes(f);
            assertEquals((byte) 0x93, b[0]);
            assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
            assertEquals(1, b[6], "major version");
            assertEquals(0, b[7], "minor version");
            int hlen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
            String header = new String(b, 10, hlen, StandardCharsets.US_ASCII);
            assertEquals(0, (10 + hlen) % 64, "data aligned to 64 bytes");
            assertTrue(header.endsWith("\n"), header);
            Matcher d = Pattern.compile("'descr':\\s*'([^']*)'").matcher(header);
            Matcher fo = Pattern.compile("'fortran_order':\\s*(True|False)").matcher(header);
            Matcher sh = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)").matcher(header);
            assertTrue(d.find() && fo.find() && sh.find(), header);
            int[] shape = {Integer.parseInt(sh.group(1)), Integer.parseInt(sh.group(2))};
            ByteBuffer data = ByteBuffer.wrap(b, 10 + hlen, b.length - 10 - hlen).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals((long) shape[0] * shape[1] * 4, data.remaining(), "exactly rows x cols float32 after the header");
            float[] v = new float[shape[0] * shape[1]];
            data.asFloatBuffer().get(v);
            return new Npy(d.group(1), fo.group(1).equals("True"), shape, v);
        }
    }

    static int run(PrintStream err, String... argv) {
        PrintStream old = System.err;
        try {
            System.setErr(err);
            return Main.run(argv);
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void npyRoundTripEqualsTheTable() throws Exception {
        Path out = dir.resolve("npy");
        assertEquals(0, Main.run(new String[]{"export", "--features", table, "--format", "npy", "--out", out.toString(),
                "--master", "local[2]"}));
        for (String split : List.of("train", "test")) {
            Npy npy = Npy.read(out.resolve(split + ".npy"));
            assertEquals("<f4", npy.descr());
            assertFalse(npy.fortran());
            List<String> labels = Files.readAllLines(out.resolve(split + "_labels.csv"));
            assertEquals("row,id,label", labels.get(0));
            List<String> ids = rows.entrySet().stream().filter(e -> e.getValue()[0].equals(split)).map(Map.Entry::getKey)
                    .toList();   // sorted: the export's order
            assertArrayEquals(new int[]{ids.size(), DIM}, npy.shape());
            assertEquals(ids.size() + 1, labels.size());
            for (int i = 0; i < ids.size(); i++) {
                String id = ids.get(i);
                Object[] want = rows.get(id);
                String quoted = id.contains(",") ? "\"" + id + "\"" : id;
                assertEquals(i + "," + quoted + "," + want[1], labels.get(i + 1));
                double[] v = (double[]) want[2];
                for (int k = 0; k < DIM; k++) {
                    assertEquals((float) v[k], npy.values()[i * DIM + k], 0f, id + "[" + k + "]");
                }
            }
        }
        String meta = Files.readString(out.resolve("export.json"));
        assertTrue(meta.contains("\"dim\" : 7") && meta.contains("\"layer\" : \"embedding\""), meta);
        assertNoTemporaries();
    }

    @Test
    void csvRoundTripEqualsTheTable() throws Exception {
        Path out = dir.resolve("csv");
        assertEquals(0, Main.run(new String[]{"export", "--features", table, "--format", "csv", "--out", out.toString(),
                "--master", "local[2]"}));
        List<String> lines = Files.readAllLines(out.resolve("test.csv"));
        assertEquals("id,label,f0,f1,f2,f3,f4,f5,f6", lines.get(0));
        List<String> ids = rows.entrySet().stream().filter(e -> e.getValue()[0].equals("test")).map(Map.Entry::getKey)
                .toList();
        assertEquals(ids.size() + 1, lines.size());
        for (int i = 0; i < ids.size(); i++) {
            String line = lines.get(i + 1);
            String id = ids.get(i);
            String rest = id.contains(",") ? line.substring(id.length() + 3) : line.substring(id.length() + 1);
            assertTrue(line.startsWith(id.contains(",") ? "\"" + id + "\"," : id + ","), line);
            String[] cells = rest.split(",");
            assertEquals(String.valueOf(rows.get(id)[1]), cells[0]);
            double[] v = (double[]) rows.get(id)[2];
            for (int k = 0; k < DIM; k++) {
                assertEquals((float) v[k], Float.parseFloat(cells[k + 1]), 0f);
            }
        }
        assertTrue(Files.isRegularFile(out.resolve("train.csv")));
    }

    @Test
    void userErrorsExitTwoAndWriteNothing() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true);
        Path out = dir.resolve("refused");
        assertEquals(2, run(e, "export", "--features", table, "--format", "parquet", "--out", out.toString()));
        assertTrue(err.toString().contains("unknown --format 'parquet'") && err.toString().contains("npy"), err.toString());
        assertEquals(2, run(e, "export", "--features", dir.resolve("nope").toString(), "--out", out.toString()));
        assertTrue(err.toString().contains("does not exist"), err.toString());
        assertEquals(2, run(e, "export", "--features", dir.resolve("features").toString(), "--out", out.toString()));
        assertTrue(err.toString().contains("it holds the tables pretrained"), err.toString());
        // 53 rows x 7 floats is ~2 kB, so a 1 MB guard passes: the guard is shown with a tiny table by
        // estimating CSV of it against a limit below it through the library call
        long estimate = dev.pretext.export.FeaturesExport.estimateBytes(
                dev.pretext.export.FeaturesExport.Format.CSV, 53, DIM);
        assertTrue(estimate > 53 * DIM * 4, "CSV is estimated larger than its binary");
        SparkSession spark = SparkSessions.getOrCreate("local[2]", "export-guard");
        try {
            dev.pretext.UserError u = assertThrows(dev.pretext.UserError.class, () -> dev.pretext.export.FeaturesExport
                    .run(spark, table, null, dev.pretext.export.FeaturesExport.Format.NPY, out, 1000, false));
            assertTrue(u.getMessage().contains("above the limit") && u.getMessage().contains("--max-mb"), u.getMessage());
        } finally {
            spark.stop();
        }
        assertFalse(Files.exists(out), "nothing written for a refused export");
        assertNoTemporaries();
    }

    private static void assertNoTemporaries() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> tmp = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
            assertEquals(List.of(), tmp);
        }
    }
}
