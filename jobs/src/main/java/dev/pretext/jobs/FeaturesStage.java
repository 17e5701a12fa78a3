package dev.pretext.jobs;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.data.TableCommit;
import dev.pretext.eval.EncoderFeatures;
import dev.pretext.eval.EncoderTransformer;
import dev.pretext.eval.FeatureTable;
import dev.pretext.eval.PixelFeatures;
import dev.pretext.eval.PixelNormalization;
import dev.pretext.method.PretextMethod;
import dev.pretext.data.FsDir;
import dev.pretext.train.Checkpoints;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * The {@code features} stage: frozen encoder features of the labelled splits, computed on the
 * executors and written as features tables (id, split, label, layer, vector), one per
 * representation: {@code pretrained}, and for the baselines {@code random_init} (same architecture,
 * fresh initialisation) and {@code raw_pixels}.
 */
public final class FeaturesStage {
    public static final String PRETRAINED = "pretrained";
    public static final String RANDOM_INIT = "random_init";
    public static final String RAW_PIXELS = "raw_pixels";
    public static final int BATCH = 256;
    /** The run's folder of the pre-trained encoder and its linear probe as one MLlib PipelineModel. */
    public static final String SPARK_ML = "spark-ml";

    private FeaturesStage() {
    }

    /** The labelled images (train and the probes' test split, label >= 0) of an images table. */
    public static Dataset<Row> labelled(SparkSession spark, String imagesDir, String testSplit) {
        return ImagesTable.read(spark, imagesDir).where(col("label").geq(0)
                .and(col("split").isin("train", testSplit)));
    }

    /**
     * The trained network of a run's newest checkpoint that loads (a newer one whose model.zip is
     * damaged is skipped, with a line saying so).
     */
    public static ComputationGraph pretrained(FsDir runDir) {
        return Checkpoints.loadNewest(runDir, c -> Checkpoints.read(c, false),
                        note -> System.err.println("features: " + note))
                .orElseThrow(() -> new UserError("run " + runDir + " has no complete checkpoint (run pretrain first)"));
    }

    public static ComputationGraph pretrained(Path runDir) {
        return pretrained(FsDir.local(runDir));
    }

    /** The same architecture as the run's, freshly initialised with the run seed. */
    public static ComputationGraph randomInit(PretextConfig cfg, int height, int width) {
        PretextMethod method = cfg.method();
        int columns = method.representations().columns().size();
        if (columns > 0) {
            // only the encoder is evaluated: the loss's representation widths do not change its initialisation
            int[] ones = new int[columns];
            java.util.Arrays.fill(ones, 1);
            method = method.withRepresentationWidths(ones);
        }
        return PretrainStage.buildNet(cfg, method, height, width, 1, 0);
    }

    /**
     * The run's encoder as the Spark ML stage that computes its features table
     * ({@link EncoderTransformer}): the method's evaluation graph and layer over {@code trained},
     * the config's normalisation, {@link #BATCH} images per forward pass.
     */
    public static EncoderTransformer encoder(PretextConfig cfg, ComputationGraph trained, int height, int width) {
        PretextMethod method = cfg.method();
        ComputationGraph eval = method.evaluationGraph(trained, cfg.backbone, cfg.width, height, width);
        return EncoderTransformer.of(eval, method.evaluationLayer(),
                new PixelNormalization(toDouble(cfg.mean), toDouble(cfg.std))).setBatchSize(BATCH);
    }

    /** Computes one representation's features and commits them as a table under {@code out}. */
    public static long write(SparkSession spark, String representation, Dataset<Row> images, ComputationGraph net,
                             PretextConfig cfg, String out, boolean overwrite) {
        PretextMethod method = cfg.method();
        if (net != null) {
            // the method's own evaluation encoder (e.g. the context autoencoder's 16 patch embeddings)
            Row first = images.select("height", "width").first();
            net = method.evaluationGraph(net, cfg.backbone, cfg.width, first.getInt(0), first.getInt(1));
        }
        return write(spark, representation, images, net, method.evaluationLayer(), false, cfg, out, overwrite);
    }

    /**
     * As above at {@code layer} of the network; {@code pool} averages a convolutional layer over
     * space (stage probes).
     */
    public static long write(SparkSession spark, String representation, Dataset<Row> images, ComputationGraph net,
                             String layer, boolean pool, PretextConfig cfg, String out, boolean overwrite) {
        Dataset<Row> features;
        if (net == null) {
            features = PixelFeatures.compute(images, cfg.rawPixelsSize);
        } else {
            PixelNormalization norm = new PixelNormalization(toDouble(cfg.mean), toDouble(cfg.std));
            features = new EncoderFeatures(net, layer, norm, BATCH, pool).compute(images);
        }
        long t0 = System.nanoTime();
        try (TableCommit commit = TableCommit.begin(spark.sparkContext().hadoopConfiguration(), out, overwrite)) {
            features.write().parquet(commit.tempDir());
            Dataset<Row> written = spark.read().parquet(commit.tempDir());
            Map<String, Long> counts = new LinkedHashMap<>();
            for (Row r : written.groupBy(FeatureTable.SPLIT).count().collectAsList()) {
                counts.put(r.getString(0), r.getLong(1));
            }
            long rows = counts.values().stream().mapToLong(Long::longValue).sum();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("representation", representation);
            extra.put("backbone", cfg.backbone);
            extra.put("width", cfg.width);
            if (net != null) {
                extra.put("layer", layer);
                extra.put("pooled", pool);
            }
            if (net == null) {
                // the raw-pixel reduction: images area-averaged to this longer side at most
                extra.put("raw_pixels_size", cfg.rawPixelsSize);
            }
            commit.commit(Manifest.create(1, "features", cfg.dataFormat, List.of(), counts, rows, 0, extra));
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("features: %-11s %d rows in %.1f s (%.0f images/s) -> %s%n", representation, rows, s,
                    rows / s, out);
            return rows;
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
