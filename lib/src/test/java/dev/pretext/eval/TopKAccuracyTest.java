package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopKAccuracyTest extends SparkTestBase {
    //                              0     1     2     3     4     5     6
    private static final double[] P = {0.10, 0.30, 0.05, 0.20, 0.15, 0.12, 0.08};

    @Test
    void handMadeProbabilities() {
        // ranks: 1 -> 0, 3 -> 1, 4 -> 2, 5 -> 3, 0 -> 4, 6 -> 5, 2 -> 6
        assertTrue(TopKAccuracy.hit(P, 1, 1));
        assertFalse(TopKAccuracy.hit(P, 3, 1));
        assertTrue(TopKAccuracy.hit(P, 0, 5));
        assertFalse(TopKAccuracy.hit(P, 6, 5));
        assertFalse(TopKAccuracy.hit(P, 2, 5));
        assertTrue(TopKAccuracy.hit(P, 2, 7));
    }

    @Test
    void tiesGoToTheLowerClassLikeArgmax() {
        double[] flat = {0.25, 0.25, 0.25, 0.25};
        assertTrue(TopKAccuracy.hit(flat, 0, 1));
        assertFalse(TopKAccuracy.hit(flat, 1, 1));
        assertTrue(TopKAccuracy.hit(flat, 1, 2));
        assertFalse(TopKAccuracy.hit(flat, 3, 3));
    }

    @Test
    void fiveOrFewerClassesAlwaysHitTopFive() {
        double[] p = {0.9, 0.05, 0.03, 0.01, 0.01};
        for (int label = 0; label < p.length; label++) assertTrue(TopKAccuracy.hit(p, label, 5));
        assertFalse(TopKAccuracy.hit(p, 5, 5), "a class the model never saw is a miss");
        assertFalse(TopKAccuracy.hit(p, -1, 5));
    }

    @Test
    void scoresATableOnExecutors() {
        StructType schema = new StructType().add("probability", SQLDataTypes.VectorType()).add("label", DataTypes.IntegerType);
        List<Row> rows = List.of(
                RowFactory.create(Vectors.dense(P), 1),   // top1 hit
                RowFactory.create(Vectors.dense(P), 0),   // top5 hit only
                RowFactory.create(Vectors.dense(P), 6),   // miss
                RowFactory.create(Vectors.dense(P), 4));  // top5 hit only
        Dataset<Row> preds = spark.createDataFrame(rows, schema).repartition(2);
        ProbeScores s = TopKAccuracy.score(preds, "probability", "label");
        assertEquals(4, s.count());
        assertEquals(0.25, s.top1(), 0.0);
        assertEquals(0.75, s.top5(), 0.0);

        Dataset<Row> empty = spark.createDataFrame(List.of(), schema);
        assertThrows(UserError.class, () -> TopKAccuracy.score(empty, "probability", "label"));
    }
}
