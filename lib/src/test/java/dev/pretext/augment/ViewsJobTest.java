package dev.pretext.augment;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViewsJobTest extends SparkTestBase {
    private static final StructType IMAGES = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("split", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("label2", DataTypes.IntegerType, false)
            .add("height", DataTypes.IntegerType, false)
            .add("width", DataTypes.IntegerType, false)
            .add("channels", DataTypes.IntegerType, false)
            .add("encoding", DataTypes.StringType, false)
            .add("data", DataTypes.BinaryType, false)
            .add("source", DataTypes.StringType, false);
    private static final long BASE_SEED = 20240607L;

    private static List<ImageRecord> records() {
        List<ImageRecord> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ImageRecord r = i % 2 == 0 ? TestImages.random("cifar10/train/" + i, 32, 32, 3, i)
                    : TestImages.gradient("cifar10/train/" + i, 32, 32);
            out.add(new ImageRecord(r.id(), i < 8 ? "train" : "test", i % 3, -1, 32, 32, 3, "raw", r.data(), "b#" + i));
        }
        out.add(TestImages.random("odd/size", 12, 20, 3, 99));
        return out;
    }

    private static Dataset<Row> table(List<ImageRecord> recs) {
        List<Row> rows = new ArrayList<>();
        for (ImageRecord r : recs) {
            rows.add(RowFactory.create(r.id(), r.split(), r.label(), r.label2(), r.height(), r.width(), r.channels(),
                    r.encoding(), r.data(), r.source()));
        }
        return spark.createDataFrame(rows, IMAGES).repartition(3);
    }

    @Test
    void materialisedViewsEqualOnTheFlyViews(@TempDir Path tmp) {
        List<ImageRecord> recs = records();
        AugmentSpec spec = AugmentSpec.cifar().withBlur(0.5, 0.1, 2.0, 0);
        Dataset<Row> views = ViewsJob.views(table(recs), spec, BASE_SEED, 2, 3);
        assertEquals(ViewsJob.SCHEMA, views.schema());

        String out = tmp.resolve("views").toString();
        ViewsJob.write(views, out);
        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertEquals(recs.size() * 2 * 3, rows.size());

        Map<String, ImageRecord> byId = new HashMap<>();
        recs.forEach(r -> byId.put(r.id(), r));
        SimClrAugment onTheFly = new SimClrAugment(spec);
        Set<String> keys = new HashSet<>();
        for (Row row : rows) {
            String id = row.getAs("id");
            int epoch = row.getAs("epoch"), view = row.getAs("view");
            keys.add(id + "/" + epoch + "/" + view);
            ImageRecord src = byId.get(id);
            long seed = ViewSeeds.seed(BASE_SEED, id, epoch, view);
            assertEquals(seed, (long) row.getAs("seed"));
            View want = onTheFly.view(src, seed);
            AugmentParams p = want.params();
            assertArrayEquals(want.pixels(), (byte[]) row.getAs("data"), "pixels of " + id + " e" + epoch + " v" + view);
            assertEquals(src.split(), row.getAs("split"));
            assertEquals(src.label(), (int) row.getAs("label"));
            assertEquals(p.cropX(), (int) row.getAs("crop_x"));
            assertEquals(p.cropY(), (int) row.getAs("crop_y"));
            assertEquals(p.cropW(), (int) row.getAs("crop_w"));
            assertEquals(p.cropH(), (int) row.getAs("crop_h"));
            assertEquals(p.flip(), row.getAs("flip"));
            assertEquals(p.jitter(), row.getAs("jitter"));
            assertEquals(p.brightness(), (double) row.getAs("brightness"));
            assertEquals(p.contrast(), (double) row.getAs("contrast"));
            assertEquals(p.saturation(), (double) row.getAs("saturation"));
            assertEquals(p.hue(), (double) row.getAs("hue"));
            assertEquals(p.jitterOrder(), row.getAs("jitter_order"));
            assertEquals(p.grayscale(), row.getAs("grayscale"));
            assertEquals(p.blurSigma(), (double) row.getAs("blur_sigma"));
            assertEquals(p.blurKernel(), (int) row.getAs("blur_kernel"));
            assertEquals(src.height(), (int) row.getAs("height"));
            assertEquals(src.width(), (int) row.getAs("width"));
            assertEquals(3, (int) row.getAs("channels"));

            // the row alone reproduces the pixels: parameters read back from Parquet, applied again
            AugmentParams fromRow = new AugmentParams(row.getAs("crop_x"), row.getAs("crop_y"), row.getAs("crop_w"),
                    row.getAs("crop_h"), row.getAs("flip"), row.getAs("jitter"), row.getAs("brightness"),
                    row.getAs("contrast"), row.getAs("saturation"), row.getAs("hue"), row.getAs("jitter_order"),
                    row.getAs("grayscale"), row.getAs("blur_sigma"), row.getAs("blur_kernel"));
            assertArrayEquals(want.pixels(), onTheFly.apply(src, fromRow).pixels());
        }
        assertEquals(rows.size(), keys.size(), "one row per (image, epoch, view)");
    }

    @Test
    void rejectsTablesThatAreNotImagesTables() {
        Dataset<Row> noData = table(records()).drop("data");
        UserError e = assertThrows(UserError.class, () -> ViewsJob.views(noData, AugmentSpec.cifar(), 1, 1, 1));
        assertTrue(e.getMessage().contains("'data'"), e.getMessage());
        Dataset<Row> wrongType = table(records()).withColumn("label", org.apache.spark.sql.functions.lit("x"));
        e = assertThrows(UserError.class, () -> ViewsJob.views(wrongType, AugmentSpec.cifar(), 1, 1, 1));
        assertTrue(e.getMessage().contains("'label' is string"), e.getMessage());
        assertThrows(UserError.class, () -> ViewsJob.views(table(records()), AugmentSpec.cifar(), 1, 0, 1));
        assertThrows(UserError.class, () -> ViewsJob.views(table(records()), AugmentSpec.cifar(), 1, 1, 0));
    }

    @Test
    void undecodableRecordFailsNamingIt() {
        List<ImageRecord> recs = new ArrayList<>(records());
        recs.add(new ImageRecord("folder/cat.png", "train", 1, -1, 4, 4, 3, "png", new byte[20], "cat.png"));
        Dataset<Row> views = ViewsJob.views(table(recs), AugmentSpec.cifar(), 1, 1, 1);
        Exception e = assertThrows(Exception.class, views::collectAsList);
        String all = e.toString() + (e.getCause() == null ? "" : e.getCause().toString());
        assertTrue(all.contains("folder/cat.png") && all.contains("cannot decode"), all);
    }
}
