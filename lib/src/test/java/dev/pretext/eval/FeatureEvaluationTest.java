package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probe's regParam must be chosen inside the training split. The data is built so that the
 * test split, had it been consulted, would pick the other grid value.
 */
class FeatureEvaluationTest extends SparkTestBase {
    private static final double WEAK = 1e-4, HUGE = 1e3;
    private static List<Row> train;
    private static List<Row> testTrue;
    private static List<Row> testAllZero;

    @BeforeAll
    static void data() {
        // Class 0 is half the training rows. Under HUGE regularisation the weights vanish and
        // only the intercepts speak, so every row is predicted 0: val accuracy ~0.5 vs ~1.0 for WEAK.
        Blobs blobs = new Blobs(4, 6, 3.0, 0.7, 41);
        train = blobs.rows("train", new int[]{150, 50, 50, 50}, 42);
        testTrue = blobs.rows("test", 15, 43);
        // Same test features, every label set to 0: on this test set HUGE (always 0) scores 1.0
        // and WEAK ~0.25.
        testAllZero = new ArrayList<>();
        for (Row r : testTrue) testAllZero.add(Blobs.row(r.getString(0), "test", 0, ((org.apache.spark.ml.linalg.Vector) r.get(4)).toArray()));
    }

    private static Dataset<Row> features(List<Row> test) {
        List<Row> all = new ArrayList<>(train);
        all.addAll(test);
        return Blobs.table(spark, all);
    }

    private static FeatureEvaluation evaluation() {
        return new FeatureEvaluation(new LinearProbe().setRegParams(WEAK, HUGE).setMaxIter(10), new KnnClassifier(20, 0.07));
    }

    @Test
    void selectionNeverSeesTheTestSplit() {
        EvalReport a = evaluation().run(features(testTrue), "emb", "train", "test");
        EvalReport b = evaluation().run(features(testAllZero), "emb", "train", "test");

        assertEquals(a.validationAccuracy(), b.validationAccuracy());
        assertEquals(WEAK, a.chosenRegParam(), 0.0);
        assertEquals(WEAK, b.chosenRegParam(), 0.0, "selection followed the test labels");
        assertTrue(a.validationAccuracy().get(WEAK) > 0.9, a.toString());
        assertTrue(a.validationAccuracy().get(HUGE) < 0.7, a.toString());
        assertEquals(a.fitCount(), b.fitCount());
        assertEquals(300, a.trainCount());
        assertEquals(300, a.fitCount() + a.validationCount());
        assertEquals(60, a.testCount());

        assertTrue(a.linearTop1() > 0.9, a.toString());
        assertTrue(b.linearTop1() < 0.5, b.toString());
        assertTrue(a.knnTop1() > 0.9, a.toString());
        assertEquals(4, a.numClasses());
        assertEquals(1.0, a.linearTop5(), 0.0, "4 classes: top-5 always hits");
        assertEquals(20, a.knnK());

        // the confusion matrix counts the same predictions: its diagonal is top-1, its rows the test labels
        assertEquals(4, a.confusion().numClasses());
        assertEquals(60, a.confusion().total());
        assertEquals(a.linearTop1(), a.confusion().accuracy(), 1e-12);
        for (int t = 0; t < 4; t++) {
            assertEquals(15, java.util.Arrays.stream(a.confusion().counts()[t]).sum(), "15 test rows of class " + t);
        }
        assertEquals(60, java.util.Arrays.stream(b.confusion().counts()[0]).sum(), "every test label set to 0");
        assertEquals(b.linearTop1(), b.confusion().accuracy(), 1e-12);

        // The test split itself would have preferred HUGE: proof that the choice above was not made on it.
        Dataset<Row> trainDf = Blobs.table(spark, train);
        double hugeOnTest = new LinearProbe().setRegParams(HUGE).setMaxIter(10).fit(trainDf)
                .evaluate(Blobs.table(spark, testAllZero)).top1();
        assertTrue(hugeOnTest > b.linearTop1() + 0.4, "HUGE on test " + hugeOnTest + " vs chosen " + b.linearTop1());
    }

    @Test
    void missingLayerOrSplitIsNamed() {
        Dataset<Row> f = features(testTrue);
        UserError e = assertThrows(UserError.class, () -> evaluation().run(f, "nope", "train", "test"));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("emb/train"), e.getMessage());
        UserError e2 = assertThrows(UserError.class,
                () -> evaluation().run(f.where(col("split").equalTo("train")), "emb", "train", "test"));
        assertTrue(e2.getMessage().contains("'test'"), e2.getMessage());
    }
}
