package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The labelled fraction that fine-tuning sees: a seeded, class-stratified sample of the training
 * rows, of which a share is held out for validation (DV2's protocol: the epoch is picked on it).
 *
 * <p>Per class c with n_c labelled rows, the rows are ordered by a seeded hash of their id (ties by
 * id), the first {@code k_c = max(1, round(fraction * n_c))} are taken, and of those the first
 * {@code v_c = min(k_c - 1, round(validationFraction * k_c))} are the validation rows, the rest the
 * training rows. So every class keeps at least one training row, the two parts are disjoint, and
 * the sample depends only on (ids, labels, fraction, validation fraction, seed): not on
 * partitioning, row order or the executors. A smaller fraction's sample is a prefix of a larger
 * one's in each class (same seed). Only {@code id} and {@code label} are shuffled (a window per
 * class), never the pixels.
 */
public final class LabelSample {
    /** Column of {@link #sample}'s result: {@link #TRAIN} or {@link #VALIDATION}. */
    public static final String ROLE = "role";
    public static final String TRAIN = "train";
    public static final String VALIDATION = "validation";

    private LabelSample() {
    }

    /**
     * {@code (id, label, role)} of the sampled rows of {@code train} (rows with {@code label < 0}
     * are ignored).
     *
     * @param fraction           share of each class's labelled rows to take, in (0, 1]
     * @param validationFraction share of the taken rows held out for validation, in [0, 1)
     */
    public static Dataset<Row> sample(Dataset<Row> train, double fraction, double validationFraction, long seed) {
        check(fraction, validationFraction);
        Dataset<Row> keys = train.select(col("id"), col("label")).where(col("label").geq(0))
                .withColumn("_h", xxhash64(lit(seed), col("id")));
        WindowSpec byClass = Window.partitionBy("label");
        WindowSpec ordered = byClass.orderBy(col("_h"), col("id"));
        Column n = count(lit(1)).over(byClass);
        Column k = greatest(lit(1L), round(n.multiply(fraction)).cast("long"));
        Column v = least(k.minus(1), round(k.multiply(validationFraction)).cast("long"));
        return keys.withColumn("_rank", row_number().over(ordered))
                .withColumn("_k", k).withColumn("_v", v)
                .where(col("_rank").leq(col("_k")))
                .select(col("id"), col("label"),
                        when(col("_rank").leq(col("_v")), lit(VALIDATION)).otherwise(lit(TRAIN)).as(ROLE));
    }

    /** The rows of {@code images} that {@code sample} puts in {@code role} (joined by id), in {@code images}' columns. */
    public static Dataset<Row> rows(Dataset<Row> images, Dataset<Row> sample, String role) {
        Column[] columns = java.util.Arrays.stream(images.columns()).map(org.apache.spark.sql.functions::col)
                .toArray(Column[]::new);
        return images.join(sample.where(col(ROLE).equalTo(role)).select("id"), "id").select(columns);
    }

    static void check(double fraction, double validationFraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new UserError("the labels fraction must be in (0, 1] (0.01 = 1% of each class's labelled training"
                    + " images), got " + fraction);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new UserError("eval.finetune.val-fraction must be in [0, 1), got " + validationFraction);
        }
    }
}
