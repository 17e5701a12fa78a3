package dev.pretext.jobs;

import dev.pretext.config.PretextConfig;
import dev.pretext.eval.EvalReport;
import dev.pretext.eval.FeatureEvaluation;
import dev.pretext.eval.FeatureTable;
import dev.pretext.eval.KnnClassifier;
import dev.pretext.eval.LinearProbe;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;

/**
 * The {@code probe} stage: linear probe (regularisation chosen on a validation split of the
 * training features) and kNN on one features table; train split fits, test split scores.
 */
public final class ProbeStage {
    private ProbeStage() {
    }

    public static FeatureEvaluation evaluation(PretextConfig cfg) {
        LinearProbe probe = new LinearProbe().setRegParams(cfg.regGrid).setValidationFraction(cfg.valFraction)
                .setSeed(cfg.seed).setMaxIter(cfg.maxIter);
        return new FeatureEvaluation(probe, new KnnClassifier(cfg.knnK, cfg.knnTemperature).withChunkMb(cfg.knnChunkMb));
    }

    public static EvalReport run(SparkSession spark, PretextConfig cfg, String featuresDir) {
        return run(spark, cfg, featuresDir, m -> { });
    }

    /** As above, handing the fitted linear probe to {@code fitted}. */
    public static EvalReport run(SparkSession spark, PretextConfig cfg, String featuresDir,
                                 java.util.function.Consumer<dev.pretext.eval.LinearProbeModel> fitted) {
        // Not cached: the probe and kNN persist what they need; a bounded batch for wide vectors.
        Dataset<Row> features = FeatureTable.read(spark, featuresDir, (long) cfg.readBatchMb << 20);
        List<Row> layers = features.select(FeatureTable.LAYER).distinct().collectAsList();
        String layer = layers.isEmpty() ? "" : layers.get(0).getString(0);
        System.err.printf("probe: %s (%s): linear probe over %d regularisation values + refit, then kNN...%n",
                featuresDir, layer, cfg.regGrid.length);
        long t0 = System.nanoTime();
        EvalReport r = evaluation(cfg).run(features, layer, "train", cfg.testSplit, fitted);
        System.err.printf("probe: %s (%s): linear top-1 %.3f, top-5 %.3f, kNN top-1 %.3f in %.1f s%n",
                featuresDir, layer, r.linearTop1(), r.linearTop5(), r.knnTop1(), (System.nanoTime() - t0) / 1e9);
        return r;
    }
}
