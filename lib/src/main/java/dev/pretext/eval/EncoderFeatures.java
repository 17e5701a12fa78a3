package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;

import static org.apache.spark.sql.functions.col;

/**
 * Frozen-encoder features: runs a trained {@link ComputationGraph} over the images table on the
 * executors and emits the activations of one layer (by default the global-average-pooled
 * {@code embedding}) as rows of the features table.
 *
 * <p>The inference is {@link EncoderTransformer}'s, the Spark ML stage users put in their own
 * pipelines: the same decoding, normalisation ({@link PixelNormalization}), minibatches and
 * layer, so a features table and the transformer's vectors agree for the same images.
 * Activations of rank &gt; 2 (a layer before pooling) are flattened per example in C order.
 */
public final class EncoderFeatures {
    public static final String DEFAULT_LAYER = "embedding";
    public static final int DEFAULT_BATCH_SIZE = 256;
    private static final String OUT = "__features_vector";

    private final EncoderTransformer transformer;

    /**
     * @param graph         trained network with one input of shape [N, C, H, W]; it is serialised
     *                      here, so later changes to it are not seen
     * @param layer         name of the vertex whose activations are the features
     * @param normalization the input transform the network was trained with
     * @param batchSize     images per forward pass on an executor
     */
    public EncoderFeatures(ComputationGraph graph, String layer, PixelNormalization normalization, int batchSize) {
        this(graph, layer, normalization, batchSize, false);
    }

    /**
     * As above; with {@code pool}, a convolutional layer's activations [N, C, H, W] are averaged over
     * H and W into C features (a stage probe), instead of flattened. Only the encoder sub-graph up to
     * {@code layer} is serialised and shipped ({@link EncoderSubgraph}), not the training graph.
     */
    public EncoderFeatures(ComputationGraph graph, String layer, PixelNormalization normalization, int batchSize,
                           boolean pool) {
        if (batchSize <= 0) {
            throw new UserError("features: batch size must be > 0, got " + batchSize);
        }
        this.transformer = EncoderTransformer.of(graph, layer, normalization)
                .setBatchSize(batchSize).setPool(pool).setOutputCol(OUT);
    }

    public EncoderFeatures(ComputationGraph graph, PixelNormalization normalization) {
        this(graph, DEFAULT_LAYER, normalization, DEFAULT_BATCH_SIZE);
    }

    public String layer() {
        return transformer.getLayer();
    }

    /** The Spark ML stage that computes these features (a copy; its output column is internal). */
    public EncoderTransformer transformer() {
        return transformer.copy(ParamMap.empty()).setOutputCol("features");
    }

    /** Rows {@code id, split, label, layer, vector} of {@link FeatureTable#SCHEMA}, one per image, lazily. */
    public Dataset<Row> compute(Dataset<Row> images) {
        SparkSession spark = images.sparkSession();
        String layer = transformer.getLayer();
        // id, split, label, then the pixel columns: the features table's first three columns
        JavaRDD<Row> rows = transformer.transform(RawImages.select(images)).select(
                        col("id"), col("split"), col("label"), col(OUT)).toJavaRDD()
                .map(r -> {
                    if (r.isNullAt(2) || r.isNullAt(1)) {
                        throw new UserError("images table, record '" + r.getString(0)
                                + "': split and label must not be null");
                    }
                    return RowFactory.create(r.getString(0), r.getString(1), r.getInt(2), layer, r.get(3));
                });
        return spark.createDataFrame(rows, FeatureTable.SCHEMA);
    }
}
