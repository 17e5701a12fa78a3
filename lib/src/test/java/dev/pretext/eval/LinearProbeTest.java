package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearProbeTest extends SparkTestBase {

    @Test
    void separableBlobsAreClassifiedAlmostPerfectly() {
        Blobs blobs = new Blobs(10, 16, 3.0, 1.0, 1);
        Dataset<Row> train = Blobs.table(spark, blobs.rows("train", 50, 2));
        Dataset<Row> test = Blobs.table(spark, blobs.rows("test", 20, 3));
        LinearProbeModel model = new LinearProbe().setMaxIter(15).fit(train);
        ProbeScores s = model.evaluate(test);
        assertEquals(200, s.count());
        assertTrue(s.top1() > 0.95, "top1 " + s.top1());
        assertTrue(s.top5() >= s.top1());
        assertEquals(10, model.numClasses());
        assertEquals(16, model.numFeatures());
        assertEquals(500, model.trainCount());
        assertEquals(500, model.fitCount() + model.validationCount());
        // about 20% held out, by a seeded hash of the id
        assertTrue(model.validationCount() > 70 && model.validationCount() < 130, "val " + model.validationCount());
        assertEquals(4, model.validationAccuracy().size());
        assertTrue(model.validationAccuracy().containsKey(model.chosenRegParam()));
        double bestVal = model.validationAccuracy().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertEquals(bestVal, model.validationAccuracy().get(model.chosenRegParam()), 0.0);
        // the refit used the chosen value
        assertEquals(model.chosenRegParam(), model.regression().getRegParam(), 0.0);
        // transform appends MLlib-style outputs and keeps the input columns
        List<String> cols = List.of(model.transform(test).columns());
        assertTrue(cols.containsAll(List.of("id", "label", "vector", "prediction", "probability")), cols.toString());
        assertEquals(7, cols.size(), cols.toString());
    }

    @Test
    void randomLabelsStayNearChance() {
        Random rnd = new Random(9);
        List<Row> train = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            double[] v = new double[16];
            for (int j = 0; j < v.length; j++) v[j] = rnd.nextGaussian();
            Row r = Blobs.row((i < 400 ? "train/" : "test/") + i, i < 400 ? "train" : "test", rnd.nextInt(10), v);
            (i < 400 ? train : test).add(r);
        }
        LinearProbeModel model = new LinearProbe().setMaxIter(15).fit(Blobs.table(spark, train));
        ProbeScores s = model.evaluate(Blobs.table(spark, test));
        assertTrue(s.top1() < 0.2, "top1 " + s.top1());
        assertTrue(s.top5() > 0.3 && s.top5() < 0.7, "top5 " + s.top5());
        for (double acc : model.validationAccuracy().values()) assertTrue(acc < 0.25, "val " + acc);
    }

    @Test
    void sameSeedSameSplitAndSelection() {
        Blobs blobs = new Blobs(3, 4, 1.0, 1.0, 4);
        Dataset<Row> train = Blobs.table(spark, blobs.rows("train", 40, 5));
        LinearProbe probe = new LinearProbe().setRegParams(1e-3, 1e-1).setMaxIter(5).setSeed(3);
        LinearProbeModel a = probe.fit(train), b = probe.fit(train.repartition(3));
        assertEquals(a.validationCount(), b.validationCount());
        assertEquals(a.validationAccuracy(), b.validationAccuracy());
        assertEquals(a.chosenRegParam(), b.chosenRegParam(), 0.0);
    }

    @Test
    void badInputIsAUserError() {
        Blobs blobs = new Blobs(3, 4, 1.0, 1.0, 4);
        List<Row> rows = new ArrayList<>(blobs.rows("train", 5, 5));
        rows.add(Blobs.row("u/1", "train", -1, new double[]{1, 2, 3, 4}));
        UserError unlabeled = assertThrows(UserError.class, () -> new LinearProbe().fit(Blobs.table(spark, rows)));
        assertTrue(unlabeled.getMessage().contains(">= 0"), unlabeled.getMessage());

        List<Row> ragged = new ArrayList<>(blobs.rows("train", 5, 5));
        ragged.add(Blobs.row("r/1", "train", 0, new double[]{1, 2}));
        UserError dims = assertThrows(UserError.class, () -> new LinearProbe().fit(Blobs.table(spark, ragged)));
        assertTrue(dims.getMessage().contains("length"), dims.getMessage());

        assertThrows(UserError.class, () -> new LinearProbe().setValidationFraction(1.0).fit(Blobs.table(spark, rows)));
        assertThrows(UserError.class, () -> new LinearProbe().setRegParams().fit(Blobs.table(spark, rows)));
        UserError noCol = assertThrows(UserError.class,
                () -> new LinearProbe().setFeaturesCol("features").fit(Blobs.table(spark, rows)));
        assertTrue(noCol.getMessage().contains("features"), noCol.getMessage());
    }

    /**
     * 20,000-d vectors with a 1 MB read budget: the table is read back 6 rows per Parquet batch
     * (the default 4096 rows would be 655 MB), cached in batches of 6 rows, and the probe fits and
     * separates the classes.
     */
    @Test
    void wideFeaturesAreReadInBoundedBatchesAndProbed(@TempDir Path dir) {
        int dim = 20_000;
        Blobs blobs = new Blobs(3, dim, 1.0, 1.0, 7);
        List<Row> rows = new ArrayList<>(blobs.rows("train", 30, 8));
        rows.addAll(blobs.rows("test", 10, 9));
        String table = dir.resolve("features").toString();
        spark.createDataFrame(rows, FeatureTable.SCHEMA).write().parquet(table);

        long budget = 1L << 20;
        assertTrue(8L * dim > budget / 4096, "wider than the budget at Spark's default batch");
        Dataset<Row> features = FeatureTable.read(spark, table, budget);
        assertEquals("6", features.sparkSession().conf().get(FeatureTable.BATCH_SIZE_CONF));
        assertEquals("6", features.sparkSession().conf().get(FeatureTable.CACHE_BATCH_CONF));
        assertEquals("4096", spark.conf().get(FeatureTable.BATCH_SIZE_CONF, "4096"), "the caller's session is untouched");

        Dataset<Row> train = features.where("split = 'train'");
        LinearProbeModel model = new LinearProbe().setRegParams(1e-2).setMaxIter(10).fit(train);
        assertEquals(dim, model.numFeatures());
        ProbeScores s = model.evaluate(features.where("split = 'test'"));
        assertEquals(30, s.count());
        assertTrue(s.top1() > 0.9, "top1 " + s.top1());

        // narrow vectors keep Spark's default batch and the caller's session
        String narrow = dir.resolve("narrow").toString();
        spark.createDataFrame(new Blobs(2, 4, 1.0, 1.0, 1).rows("train", 3, 2), FeatureTable.SCHEMA).write().parquet(narrow);
        assertTrue(FeatureTable.read(spark, narrow, budget).sparkSession() == spark);
        assertThrows(UserError.class, () -> FeatureTable.read(spark, narrow, 0));
    }

    @Test
    void paramsAreVisibleToMLlib() {
        LinearProbe p = new LinearProbe().setMaxIter(7);
        assertEquals(8, p.params().length);
        assertEquals(7, p.getMaxIter());
        LinearProbe copy = p.copy(new org.apache.spark.ml.param.ParamMap().put(p.maxIter().w(9)));
        assertEquals(9, copy.getMaxIter());
        assertEquals(7, p.getMaxIter());
        assertEquals(p.uid(), copy.uid());
    }
}
