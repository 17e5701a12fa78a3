package dev.pretext.eval;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Counts of (true class, predicted class) over an evaluation set: {@code counts[t][p]}, rows the true
 * class. Kept in {@code report.json} for the report's confusion-matrix plot, up to
 * {@link #MAX_CLASSES} classes (ImageNet's 1000 x 1000 would be a million numbers nobody reads).
 */
public record ConfusionMatrix(long[][] counts) implements Serializable {
    /** Largest class count whose matrix is kept (CIFAR-100's). */
    public static final int MAX_CLASSES = 100;

    public ConfusionMatrix {
        for (long[] row : counts) {
            if (row.length != counts.length) {
                throw new IllegalArgumentException("confusion matrix must be square, got a row of " + row.length
                        + " in " + counts.length);
            }
        }
    }

    /**
     * The matrix of a predictions table, counted on the executors: at least {@code numClasses}
     * square, more when a label or prediction lies beyond (a class never seen in training).
     */
    public static ConfusionMatrix of(Dataset<Row> predictions, String labelCol, String predictionCol, int numClasses) {
        List<Row> cells = predictions.select(col(labelCol).cast("int"), col(predictionCol).cast("int"))
                .groupBy(labelCol, predictionCol).count().collectAsList();
        int n = numClasses;
        for (Row r : cells) {
            n = Math.max(n, Math.max(r.getInt(0), r.getInt(1)) + 1);
        }
        long[][] m = new long[n][n];
        for (Row r : cells) {
            m[r.getInt(0)][r.getInt(1)] += r.getLong(2);
        }
        return new ConfusionMatrix(m);
    }

    public int numClasses() {
        return counts.length;
    }

    /** Rows scored. */
    public long total() {
        return Arrays.stream(counts).flatMapToLong(Arrays::stream).sum();
    }

    /** The diagonal's share of the total: top-1 accuracy. */
    public double accuracy() {
        long hit = 0;
        for (int i = 0; i < counts.length; i++) {
            hit += counts[i][i];
        }
        long n = total();
        return n == 0 ? Double.NaN : hit / (double) n;
    }

    /** JSON-ready: a list of rows. */
    public List<List<Long>> toList() {
        List<List<Long>> out = new ArrayList<>();
        for (long[] row : counts) {
            out.add(Arrays.stream(row).boxed().toList());
        }
        return out;
    }

    /** Reads {@link #toList()}'s shape (lists of numbers); null for null. */
    public static ConfusionMatrix fromList(Object json) {
        if (json == null) {
            return null;
        }
        if (!(json instanceof List<?> rows)) {
            throw new dev.pretext.UserError("confusion matrix: expected a list of rows, got " + json);
        }
        long[][] m = new long[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            if (!(rows.get(i) instanceof List<?> row)) {
                throw new dev.pretext.UserError("confusion matrix: row " + i + " is not a list");
            }
            m[i] = row.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
        }
        return new ConfusionMatrix(m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix c && Arrays.deepEquals(counts, c.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(counts);
    }

    @Override
    public String toString() {
        return "ConfusionMatrix" + Arrays.deepToString(counts);
    }
}
