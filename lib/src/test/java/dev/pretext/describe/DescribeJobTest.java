package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.nn.Encoder;
import dev.pretext.nn.Backbones;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescribeJobTest extends SparkTestBase {
    private static final int SIZE = 32;

    @TempDir
    static Path tmp;

    private static List<ImageRecord> records;
    private static String imagesDir;

    @BeforeAll
    static void writeImages() {
        records = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ImageRecord r = DescribeImages.random("t/" + i, SIZE, SIZE, 100 + i);
            records.add(new ImageRecord(r.id(), i < 4 ? "train" : "test", i % 3, -1, SIZE, SIZE, 3, ImageRecord.RAW,
                    r.data(), r.source()));
        }
        // a grey image: descriptors and teachers see it as grey RGB
        byte[] grey = new byte[SIZE * SIZE];
        for (int k = 0; k < grey.length; k++) {
            grey[k] = (byte) (k * 7);
        }
        records.add(new ImageRecord("t/grey", "unlabeled", -1, -1, SIZE, SIZE, 1, ImageRecord.RAW, grey, "g"));
        imagesDir = tmp.resolve("images").toString();
        ImagesTable.write(spark, jsc.parallelize(records, 2), imagesDir, 2, "ingest", "cifar10", Map.of(), false);
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        rows.forEach(r -> m.put(r.getString(0), r));
        return m;
    }

    private static boolean leftNothing(String out) throws IOException {
        Path p = Path.of(out);
        try (Stream<Path> siblings = Files.list(p.getParent())) {
            return !Files.exists(p) && siblings.noneMatch(s -> s.getFileName().toString().startsWith(p.getFileName() + ".tmp-"));
        }
    }

    @Test
    void columnsEqualDirectComputationAndManifestDescribesThem() {
        List<Descriptor> ds = Descriptors.parseList("hog,lsd,scattering,image,augmented",
                Map.of("hog", Map.of("cell-size", 4), "augmented", Map.of("seed", 7)));
        ComputationGraph graph = TeacherNets.conv4(SIZE);
        File graphZip = TeacherNets.save(graph, tmp.resolve("conv4-teacher.zip").toFile());
        MultiLayerNetwork stack = TeacherNets.convStack(SIZE);
        File stackZip = TeacherNets.save(stack, tmp.resolve("stack.zip").toFile());
        List<Teacher> ts = List.of(
                new Teacher(graphZip.getPath(), null, null, TeacherNets.normalization(), 3),
                Teacher.parse(stackZip.getPath() + "=cnn", TeacherNets.normalization(), 64));
        String out = tmp.resolve("descriptors").toString();

        DescribeResult r = DescribeJob.run(spark, imagesDir, out, ds, ts, 3, false);

        List<String> columns = List.of("hog", "lsd", "scattering", "image", "augmented", "teacher_conv4_teacher",
                "teacher_cnn");
        assertEquals(7, r.rows());
        assertEquals(Map.of("train", 4L, "test", 2L, "unlabeled", 1L), r.counts());
        assertEquals(columns, List.copyOf(r.dimensions().keySet()));
        assertEquals(SIZE, r.height());

        Manifest m = DescriptorsTable.manifest(spark, out);
        assertEquals(DescriptorsTable.STAGE, m.stage());
        assertEquals(columns, DescriptorsTable.columns(m));
        assertEquals(SIZE, DescriptorsTable.height(m));
        assertEquals(SIZE, DescriptorsTable.width(m));
        for (Descriptor d : ds) {
            assertEquals(d.dimension(SIZE, SIZE), DescriptorsTable.dimension(m, d.name()));
            assertEquals(d.parameters().get("name"), DescriptorsTable.parameters(m, d.name()).get("name"));
        }
        assertEquals(4, DescriptorsTable.parameters(m, "hog").get("cell-size"));
        assertEquals(32, DescriptorsTable.dimension(m, "teacher_conv4_teacher"));
        assertEquals(6, DescriptorsTable.dimension(m, "teacher_cnn"));
        assertEquals(Backbones.EMBEDDING, DescriptorsTable.parameters(m, "teacher_conv4_teacher").get("layer"));
        assertEquals(TeacherModel.LAYERS, DescriptorsTable.parameters(m, "teacher_cnn").get("kind"));
        assertEquals(3, m.inputs().size(), "the images table and both models");
        assertTrue(m.inputs().get(1).name().endsWith("conv4-teacher.zip"));

        List<Row> rows = DescriptorsTable.read(spark, out).collectAsList();
        assertEquals(columns, Arrays.asList(rows.get(0).schema().fieldNames()).subList(5, 12));
        Map<String, Row> got = byId(rows);
        INDArray nchw = TeacherNets.nchw(records);
        float[][] graphExpected = Encoder.embed(graph, Backbones.EMBEDDING, nchw, 64).castTo(DataType.FLOAT)
                .toFloatMatrix();
        float[][] stackExpected = stack.feedForward(nchw, false).get(3).castTo(DataType.FLOAT).toFloatMatrix();
        for (int i = 0; i < records.size(); i++) {
            ImageRecord rec = records.get(i);
            Row row = got.get(rec.id());
            assertEquals(rec.split(), row.getString(1));
            assertEquals(rec.label(), row.getInt(2));
            for (Descriptor d : ds) {
                assertArrayEquals(d.compute(rec), DescriptorRows.vector(row, d.name()), d.name() + " of " + rec.id());
            }
            assertArrayEquals(graphExpected[i], DescriptorRows.vector(row, "teacher_conv4_teacher"), 1e-5f, rec.id());
            assertArrayEquals(stackExpected[i], DescriptorRows.vector(row, "teacher_cnn"), 1e-5f, rec.id());
        }
        assertEquals(2, DescriptorsTable.read(spark, out, "test").count());

        UserError exists = assertThrows(UserError.class, () -> DescribeJob.run(spark, imagesDir, out,
                List.of(new FlatImage()), List.of(), 1, false));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        UserError notDescribe = assertThrows(UserError.class, () -> DescriptorsTable.read(spark, imagesDir));
        assertTrue(notDescribe.getMessage().contains("'ingest'"), notDescribe.getMessage());
    }

    @Test
    void mixedImageSizesFailNamingAnOddImageAndLeaveNothing() throws IOException {
        List<ImageRecord> mixed = new ArrayList<>(records.subList(0, 3));
        mixed.add(DescribeImages.random("odd/one", 24, 16, 9));
        String dir = tmp.resolve("mixed-images").toString();
        ImagesTable.write(spark, jsc.parallelize(mixed, 1), dir, 1, "ingest", "imagefolder", Map.of(), false);
        String out = tmp.resolve("mixed-descriptors").toString();
        UserError e = assertThrows(UserError.class,
                () -> DescribeJob.run(spark, dir, out, Descriptors.parseList("image"), List.of(), 1, false));
        assertTrue(e.getMessage().contains("'odd/one'") && e.getMessage().contains("16x24")
                && e.getMessage().contains("32x32"), e.getMessage());
        assertTrue(leftNothing(out));
    }

    @Test
    void executorFailureLeavesNothingAndReportsTheImage() throws IOException {
        List<ImageRecord> bad = new ArrayList<>(records.subList(0, 2));
        bad.add(new ImageRecord("broken/7", "train", 1, -1, SIZE, SIZE, 3, ImageRecord.RAW, new byte[10], "x"));
        String dir = tmp.resolve("bad-images").toString();
        ImagesTable.write(spark, jsc.parallelize(bad, 1), dir, 1, "ingest", "cifar10", Map.of(), false);
        String out = tmp.resolve("bad-descriptors").toString();
        UserError e = assertThrows(UserError.class,
                () -> DescribeJob.run(spark, dir, out, Descriptors.parseList("lsd"), List.of(), 2, false));
        assertTrue(e.getMessage().contains("'broken/7'"), e.getMessage());
        assertTrue(leftNothing(out));
    }

    @Test
    void badRequestsAreUserErrorsBeforeAnyOutput() throws IOException {
        String out = tmp.resolve("never").toString();
        assertThrows(UserError.class, () -> Descriptors.parseList("hog,sift"));
        Teacher missing = new Teacher(tmp.resolve("no-such-model.zip").toString(), null, null,
                TeacherNets.normalization(), 8);
        UserError noModel = assertThrows(UserError.class, () -> DescribeJob.run(spark, imagesDir, out,
                Descriptors.parseList("image"), List.of(missing), 1, false));
        assertTrue(noModel.getMessage().contains("no-such-model.zip"), noModel.getMessage());
        File zip = TeacherNets.save(TeacherNets.convStack(SIZE), tmp.resolve("layered.zip").toFile());
        UserError noLayer = assertThrows(UserError.class, () -> DescribeJob.run(spark, imagesDir, out, List.of(),
                List.of(Teacher.parse(zip.getPath() + ":fc9", TeacherNets.normalization(), 8)), 1, false));
        assertTrue(noLayer.getMessage().contains("'fc9'"), noLayer.getMessage());
        UserError clash = assertThrows(UserError.class, () -> DescribeJob.run(spark, imagesDir, out, List.of(),
                List.of(Teacher.parse(zip.getPath() + "=a", TeacherNets.normalization(), 8),
                        Teacher.parse(zip.getPath() + "=A", TeacherNets.normalization(), 8)), 1, false));
        assertTrue(clash.getMessage().contains("teacher_a"), clash.getMessage());
        UserError none = assertThrows(UserError.class,
                () -> DescribeJob.run(spark, imagesDir, out, List.of(), List.of(), 1, false));
        assertTrue(none.getMessage().contains("at least one"), none.getMessage());
        UserError small = assertThrows(UserError.class, () -> DescribeJob.run(spark, imagesDir, out,
                List.of(new Hog(64, 9, 2, 0.2)), List.of(), 1, false));
        assertTrue(small.getMessage().contains("hog"), small.getMessage());
        assertFalse(Files.exists(Path.of(out)));
        assertTrue(leftNothing(out));
    }
}
