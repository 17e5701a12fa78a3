package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * Frozen-encoder features: runs a trained {@link ComputationGraph} over the images table on the
 * executors and emits the activations of one layer (by default the global-average-pooled
 * {@code embedding}) as rows of the features table.
 *
 * <p>The model travels as {@link ModelSerializer} bytes in a broadcast and is restored once per
 * partition; images are normalised with {@link PixelNormalization} into NCHW float batches.
 * Activations of rank &gt; 2 (a layer before pooling) are flattened per example in C order.
 */
public final class EncoderFeatures {
    public static final String DEFAULT_LAYER = "embedding";
    public static final int DEFAULT_BATCH_SIZE = 256;

    private final byte[] modelBytes;
    private final String layer;
    private final PixelNormalization normalization;
    private final int batchSize;
    private final boolean pool;

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
        if (graph == null || normalization == null) {
            throw new IllegalArgumentException("graph and normalization are required");
        }
        if (graph.getVertex(layer) == null) {
            throw new UserError("features: the network has no layer named '" + layer + "'; layers: "
                    + new TreeSet<>(graph.getConfiguration().getVertices().keySet()));
        }
        if (batchSize <= 0) {
            throw new UserError("features: batch size must be > 0, got " + batchSize);
        }
        // the encoder alone: a method's other inputs (Selfie's keep mask) are not the encoder's
        ComputationGraph encoder = EncoderSubgraph.extract(graph, List.of(layer));
        if (encoder.getNumInputArrays() != 1) {
            throw new UserError("features: the encoder up to '" + layer + "' must have exactly one input (the"
                    + " image), it has " + encoder.getNumInputArrays() + ": "
                    + encoder.getConfiguration().getNetworkInputs());
        }
        this.modelBytes = serialise(encoder);
        this.pool = pool;
        this.layer = layer;
        this.normalization = normalization;
        this.batchSize = batchSize;
    }

    public EncoderFeatures(ComputationGraph graph, PixelNormalization normalization) {
        this(graph, DEFAULT_LAYER, normalization, DEFAULT_BATCH_SIZE);
    }

    public String layer() {
        return layer;
    }

    /** Rows {@code id, split, label, layer, vector} of {@link FeatureTable#SCHEMA}, one per image, lazily. */
    public Dataset<Row> compute(Dataset<Row> images) {
        SparkSession spark = images.sparkSession();
        Broadcast<byte[]> model = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(modelBytes);
        JavaRDD<Row> rows = RawImages.select(images).toJavaRDD()
                .mapPartitions(new PartitionInference(model, layer, normalization, batchSize, pool));
        return spark.createDataFrame(rows, FeatureTable.SCHEMA);
    }

    static byte[] serialise(ComputationGraph graph) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(graph, bytes, false);
        } catch (IOException e) {
            throw new UncheckedIOException("serialising the network for broadcast", e);
        }
        return bytes.toByteArray();
    }

    /** Executor side: restore once, then stream the partition through in same-shape minibatches. */
    private static final class PartitionInference implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> model;
        private final String layer;
        private final PixelNormalization normalization;
        private final int batchSize;
        private final boolean pool;

        PartitionInference(Broadcast<byte[]> model, String layer, PixelNormalization normalization, int batchSize,
                           boolean pool) {
            this.pool = pool;
            this.model = model;
            this.layer = layer;
            this.normalization = normalization;
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) throws IOException {
            if (!input.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            ComputationGraph graph = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.value()), false);
            return new Iterator<>() {
                private RawImages.Image pending;
                private Iterator<Row> ready = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!ready.hasNext()) {
                        List<RawImages.Image> batch = nextBatch();
                        if (batch.isEmpty()) return false;
                        ready = infer(graph, batch).iterator();
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    return ready.next();
                }

                // A batch ends at batchSize or where the image shape changes, since one INDArray
                // holds one shape.
                private List<RawImages.Image> nextBatch() {
                    List<RawImages.Image> batch = new ArrayList<>();
                    if (pending != null) {
                        batch.add(pending);
                        pending = null;
                    }
                    while (batch.size() < batchSize && input.hasNext()) {
                        RawImages.Image img = RawImages.read(input.next());
                        if (!batch.isEmpty() && !batch.get(0).sameShape(img)) {
                            pending = img;
                            break;
                        }
                        batch.add(img);
                    }
                    return batch;
                }
            };
        }

        private List<Row> infer(ComputationGraph graph, List<RawImages.Image> batch) {
            RawImages.Image first = batch.get(0);
            int n = batch.size(), c = first.channels(), h = first.height(), w = first.width();
            int per = c * h * w;
            float[] buf = new float[n * per];
            for (int i = 0; i < n; i++) {
                RawImages.Image img = batch.get(i);
                try {
                    normalization.toChw(img.data(), h, w, c, buf, i * per);
                } catch (UserError e) {
                    throw new UserError("images table, record '" + img.id() + "': " + e.getMessage(), e);
                }
            }
            INDArray x = Nd4j.create(buf, new long[]{n, c, h, w}, 'c');
            DataType netType = graph.params().dataType();
            if (x.dataType() != netType) x = x.castTo(netType);
            INDArray act = graph.output(List.of(layer), false, new INDArray[]{x}, null)[0];
            if (pool && act.rank() == 4) {
                act = act.mean(2, 3);
            }
            double[][] m = act.reshape('c', n, act.length() / n).toDoubleMatrix();
            List<Row> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RawImages.Image img = batch.get(i);
                rows.add(RowFactory.create(img.id(), img.split(), img.label(), layer, Vectors.dense(m[i])));
            }
            return rows;
        }
    }
}
