package dev.pretext.report;

import dev.pretext.data.Manifest;
import dev.pretext.eval.FeatureTable;
import dev.pretext.eval.Tsne;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The t-SNE map of the pre-trained encoder's test features: a seeded sample (the rows with the
 * smallest hash of (id, seed), so the same rows whatever the table's partitioning), each vector
 * scaled to unit length (the kNN probe's cosine geometry), embedded by {@link Tsne}, drawn
 * coloured by class.
 */
final class FeatureMap {
    static final String REPRESENTATION = "pretrained";

    private FeatureMap() {
    }

    static ReportWriter.Figure figure(SparkSession spark, RunFiles run, int sample, long seed) {
        Path table = run.dir().resolve("features").resolve(REPRESENTATION);
        if (!Files.isRegularFile(table.resolve(Manifest.FILE_NAME))) {
            return new ReportWriter.Figure("tsne.png", "t-SNE map", "No features table features/" + REPRESENTATION
                    + " in the run (the features stage has not finished).", null);
        }
        List<Row> rows = FeatureTable.read(spark, table.toString(), FeatureTable.DEFAULT_READ_BATCH_BYTES)
                .where(col(FeatureTable.SPLIT).equalTo(run.testSplit()))
                .orderBy(xxhash64(col(FeatureTable.ID), lit(seed)), col(FeatureTable.ID))
                .limit(sample).select(FeatureTable.LABEL, FeatureTable.VECTOR).collectAsList();
        if (rows.size() < 4) {
            return new ReportWriter.Figure("tsne.png", "t-SNE map", "Only " + rows.size() + " test features in "
                    + table + ": too few for a map.", null);
        }
        double[][] x = new double[rows.size()][];
        int[] labels = new int[rows.size()];
        int classes = 0;
        for (int i = 0; i < x.length; i++) {
            labels[i] = rows.get(i).getInt(0);
            classes = Math.max(classes, labels[i] + 1);
            double[] v = ((Vector) rows.get(i).get(1)).toArray();
            double norm = 0;
            for (double a : v) {
                norm += a * a;
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < v.length && norm > 0; k++) {
                v[k] /= norm;
            }
            x[i] = v;
        }
        long t0 = System.nanoTime();
        double[][] y = Tsne.defaults(seed).embed(x);
        double s = (System.nanoTime() - t0) / 1e9;
        String title = String.format(Locale.ROOT, "t-SNE of %d %s features (%d-d), seed %d", x.length, run.testSplit(),
                x[0].length, seed);
        return new ReportWriter.Figure("tsne.png", "t-SNE map of the test features", String.format(Locale.ROOT,
                "%d test images drawn with seed %d from features/%s, unit-length vectors, t-SNE perplexity 30, 1000"
                        + " iterations (%.1f s). Classes that separate here are what the probes can find; distances"
                        + " between clusters mean little.", x.length, seed, REPRESENTATION, s),
                ReportWriter.png(ScatterPlot.render(title, y, labels, run.classNames(classes))));
    }
}
