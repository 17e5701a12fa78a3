package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Top-k accuracy from per-class scores (probabilities or logits).
 *
 * <p>Ties are broken towards the lower class index, the same rule as MLlib's argmax prediction,
 * so top-1 here always agrees with the model's {@code prediction} column. A label outside the
 * score vector (a class never seen in training) is a miss.
 */
public final class TopKAccuracy {
    private TopKAccuracy() {
    }

    /** Whether {@code label} is among the {@code k} best of {@code scores}. */
    public static boolean hit(double[] scores, int label, int k) {
        if (k <= 0) throw new IllegalArgumentException("k must be > 0, got " + k);
        if (label < 0 || label >= scores.length) return false;
        double s = scores[label];
        int rank = 0;
        for (int j = 0; j < scores.length; j++) {
            if (scores[j] > s || (scores[j] == s && j < label)) rank++;
        }
        return rank < k;
    }

    /**
     * Top-1 and top-5 accuracy over a predictions table, computed on the executors.
     *
     * @param scoresCol vector column of per-class scores
     * @param labelCol  integer-valued label column (int or double); labels must be &gt;= 0
     */
    public static ProbeScores score(Dataset<?> predictions, String scoresCol, String labelCol) {
        long[] sums = predictions.toDF().select(scoresCol, labelCol).toJavaRDD().map(r -> {
            Vector v = (Vector) r.get(0);
            int label = label(r);
            double[] s = v.toArray();
            return new long[]{1, hit(s, label, 1) ? 1 : 0, hit(s, label, 5) ? 1 : 0};
        }).fold(new long[3], (a, b) -> new long[]{a[0] + b[0], a[1] + b[1], a[2] + b[2]});
        if (sums[0] == 0) {
            throw new UserError("evaluation set is empty: no rows to score");
        }
        return new ProbeScores(sums[0], sums[1] / (double) sums[0], sums[2] / (double) sums[0]);
    }

    private static int label(Row r) {
        if (r.isNullAt(1)) throw new UserError("evaluation set has a row with a null label");
        double l = ((Number) r.get(1)).doubleValue();
        if (l < 0 || l != Math.rint(l)) {
            throw new UserError("evaluation set has label " + l + "; labels must be class indices >= 0 (filter out unlabeled rows)");
        }
        return (int) l;
    }
}
