package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;
import dev.pretext.describe.TeacherModel;
import dev.pretext.method.PretextMethod;
import dev.pretext.train.Checkpoints;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF5;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A trained encoder as a Spark ML {@link Transformer}: image columns in (the images table's
 * {@code data}, {@code height}, {@code width}, {@code channels} and {@code encoding}), a vector
 * column out ({@code features}, an {@code org.apache.spark.ml.linalg.Vector}: the activations of
 * {@link #getLayer()}, by default the global-average-pooled {@code embedding}). Every other column
 * is passed through, so it goes before MLlib's {@code LogisticRegression} in a {@code Pipeline}.
 *
 * <p>The pixels are decoded ({@code raw} uint8 HWC, or a stored PNG/JPEG as 8-bit RGB) and
 * normalised ({@code (x/255 - mean[c]) / std[c]}, {@link PixelNormalization}) exactly as the
 * {@code features} stage does: that stage runs its inference through this class
 * ({@link EncoderFeatures}). Inference runs on the executors, once per partition restoring the
 * encoder from a broadcast and feeding it minibatches of {@link #getBatchSize()} same-shape images.
 *
 * <p>Saved ({@link #write()}) as a directory holding Spark's {@code metadata/} (the params,
 * normalisation included, in MLlib's own format) and {@code model.zip} (the encoder sub-graph,
 * {@link ModelSerializer}); {@link #load(String)} and MLlib's {@code PipelineModel.load} read it
 * back. From Spark SQL: {@link #register(SparkSession, String)} registers it as a function of
 * {@code (data, height, width, channels, encoding)}.
 *
 * <p>Made from a trained network by {@link #of}, or from a Pretext run directory, a checkpoint
 * directory or a DL4J model zip by {@link #fromModel}.
 */
public final class EncoderTransformer extends Transformer implements MLWritable {
    private static final long serialVersionUID = 1L;
    /** The encoder's file inside a saved transformer's directory. */
    public static final String MODEL_FILE = "model.zip";
    public static final int DEFAULT_BATCH_SIZE = 256;

    private final String uid;
    private final byte[] model;

    private final Param<String> inputCol;
    private final Param<String> heightCol;
    private final Param<String> widthCol;
    private final Param<String> channelsCol;
    private final Param<String> encodingCol;
    private final Param<String> idCol;
    private final Param<String> outputCol;
    private final Param<String> layer;
    private final BooleanParam pool;
    private final IntParam batchSize;
    private final DoubleArrayParam mean;
    private final DoubleArrayParam std;

    /**
     * @param uid   the stage's uid
     * @param model the encoder: a {@link ModelSerializer} zip of a graph with one image input whose
     *              output is the layer of the {@code layer} param
     */
    EncoderTransformer(String uid, byte[] model) {
        this.uid = uid;
        this.model = model;
        inputCol = new Param<>(this, "inputCol", "binary column of image data (raw uint8 HWC, png or jpeg)");
        heightCol = new Param<>(this, "heightCol", "integer column: image height");
        widthCol = new Param<>(this, "widthCol", "integer column: image width");
        channelsCol = new Param<>(this, "channelsCol", "integer column: image channels (of raw data)");
        encodingCol = new Param<>(this, "encodingCol",
                "string column: raw, png or jpeg; when the input has no such column every row is raw");
        idCol = new Param<>(this, "idCol", "column naming a row in error messages (optional)");
        outputCol = new Param<>(this, "outputCol", "output: vector column of the encoder's activations");
        layer = new Param<>(this, "layer", "the encoder layer whose activations are output (fixed by the model)");
        pool = new BooleanParam(this, "pool",
                "average a convolutional layer's activations over space instead of flattening them");
        batchSize = new IntParam(this, "batchSize", "images per forward pass on an executor",
                ParamValidators.gt(0));
        mean = new DoubleArrayParam(this, "mean", "per-channel mean of x/255 subtracted before the encoder");
        std = new DoubleArrayParam(this, "std", "per-channel standard deviation of x/255 the input is divided by");
        setDefault(inputCol, "data");
        setDefault(heightCol, "height");
        setDefault(widthCol, "width");
        setDefault(channelsCol, "channels");
        setDefault(encodingCol, "encoding");
        setDefault(idCol, "id");
        setDefault(outputCol, "features");
        setDefault(layer, EncoderFeatures.DEFAULT_LAYER);
        setDefault(pool, false);
        setDefault(batchSize, DEFAULT_BATCH_SIZE);
        setDefault(mean, new double[]{0, 0, 0});
        setDefault(std, new double[]{1, 1, 1});
    }

    /**
     * The encoder of {@code graph} up to {@code layer} (only the vertices it depends on:
     * {@link EncoderSubgraph}) with its input normalisation; the network is serialised here, so
     * later changes to it are not seen.
     */
    public static EncoderTransformer of(ComputationGraph graph, String layer, PixelNormalization normalization) {
        if (graph == null || normalization == null) {
            throw new IllegalArgumentException("graph and normalization are required");
        }
        if (graph.getVertex(layer) == null) {
            throw new UserError("features: the network has no layer named '" + layer + "'; layers: "
                    + new TreeSet<>(graph.getConfiguration().getVertices().keySet()));
        }
        ComputationGraph encoder = EncoderSubgraph.extract(graph, List.of(layer));
        if (encoder.getNumInputArrays() != 1) {
            throw new UserError("features: the network must have exactly one input (the image), it has "
                    + encoder.getNumInputArrays() + ": " + encoder.getConfiguration().getNetworkInputs());
        }
        EncoderTransformer t = new EncoderTransformer(Identifiable.randomUID("pretextEncoder"), serialise(encoder));
        t.set(t.layer, layer);
        t.setNormalization(normalization);
        return t;
    }

    /**
     * The encoder of a trained model, as the {@code features} stage evaluates it:
     * <ul>
     *   <li>a Pretext run directory (with {@code checkpoints/}): its newest checkpoint that loads
     *       ({@link Checkpoints#loadNewest}, the rule of {@code features} and resumes);</li>
     *   <li>a checkpoint directory (with {@code model.zip});</li>
     *   <li>a DL4J model zip ({@link ModelSerializer}: a ComputationGraph, or a MultiLayerNetwork
     *       taken as a graph).</li>
     * </ul>
     * When the run's {@code config.conf} is found (the run directory, or two levels above a
     * checkpoint), the encoder is the method's evaluation graph and layer and the normalisation is
     * the run's {@code data.mean} / {@code data.std}. Otherwise the layer is {@code embedding} when the
     * model has one, else the input of its output layer ({@link TeacherModel#defaultLayer()}), and
     * the normalisation is x/255 (set {@link #setMean}/{@link #setStd} to the model's own).
     *
     * @param height the images' height and {@code width} their width: only encoders whose graph
     *               depends on the image size (the context autoencoder's patch grid, DV2's hybrid)
     *               use them, and those then take only images of that size
     */
    public static EncoderTransformer fromModel(String path, int height, int width) {
        FsDir p = FsDir.of(path);
        if (!p.exists()) {
            throw new UserError("encoder " + path + " does not exist; give a Pretext run directory (with "
                    + Checkpoints.DIR + "/), a checkpoint directory (with " + Checkpoints.MODEL + ") or a DL4J model zip");
        }
        ComputationGraph trained;
        FsDir run = null;
        if (p.isFile()) {
            trained = restore(p);
        } else if (p.child(Checkpoints.MODEL).isFile()) {
            trained = restore(p.child(Checkpoints.MODEL));
            FsDir up = p.parent() == null ? null : p.parent().parent();
            run = up != null && up.child("config.conf").isFile() ? up : null;
        } else if (p.child(Checkpoints.DIR).isDirectory()) {
            trained = Checkpoints.loadNewest(p, c -> Checkpoints.read(c, false),
                            note -> System.err.println("encoder: " + note))
                    .orElseThrow(() -> new UserError("run " + path + " has no complete checkpoint (run pretrain first)"));
            run = p.child("config.conf").isFile() ? p : null;
        } else {
            throw new UserError("encoder " + path + " is a directory with neither " + Checkpoints.MODEL + " nor "
                    + Checkpoints.DIR + "/; give a run directory, a checkpoint directory or a DL4J model zip");
        }
        if (run == null) {
            return of(trained, TeacherModel.of(trained).defaultLayer(), PixelNormalization.unit(3));
        }
        PretextConfig cfg = runConfig(run);
        PretextMethod method = cfg.method();
        ComputationGraph eval = method.evaluationGraph(trained, cfg.backbone, cfg.width, height, width);
        return of(eval, method.evaluationLayer(), PixelNormalization.of(cfg.mean, cfg.std));
    }

    /** A run's saved {@code config.conf}, without its redacted values (those take their defaults). */
    private static PretextConfig runConfig(FsDir run) {
        try {
            File copy = Files.createTempFile("pretext-run-config-", ".conf").toFile();
            try {
                Files.writeString(copy.toPath(), Secrets.withoutRedacted(run.child("config.conf").readString()));
                return ConfigLoader.load(List.of(copy), List.of());
            } finally {
                if (!copy.delete()) copy.deleteOnExit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + run.child("config.conf"), e);
        }
    }

    private static ComputationGraph restore(FsDir zip) {
        byte[] bytes;
        try (InputStream in = zip.open()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + zip, e);
        }
        try {
            if (isLayerStack(bytes)) {
                MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
                return net.toComputationGraph();
            }
            return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), false);
        } catch (IOException | RuntimeException e) {
            throw new UserError("encoder " + zip + " is not a DL4J model zip that loads: " + e.getMessage(), e);
        }
    }

    /** True when the zip's {@code configuration.json} describes a MultiLayerNetwork ({@code confs}). */
    private static boolean isLayerStack(byte[] zip) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals("configuration.json")) {
                    String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    return json.contains("\"confs\"") && !json.contains("\"vertices\"");
                }
            }
        }
        return false;
    }

    static byte[] serialise(ComputationGraph graph) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(graph, bytes, false);
        } catch (IOException e) {
            throw new UncheckedIOException("serialising the encoder", e);
        }
        return bytes.toByteArray();
    }

    @Override
    public String uid() {
        return uid;
    }

    // Params discovers its parameters through public no-arg methods returning Param.
    public Param<String> inputCol() { return inputCol; }
    public Param<String> heightCol() { return heightCol; }
    public Param<String> widthCol() { return widthCol; }
    public Param<String> channelsCol() { return channelsCol; }
    public Param<String> encodingCol() { return encodingCol; }
    public Param<String> idCol() { return idCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> layer() { return layer; }
    public BooleanParam pool() { return pool; }
    public IntParam batchSize() { return batchSize; }
    public DoubleArrayParam mean() { return mean; }
    public DoubleArrayParam std() { return std; }

    public EncoderTransformer setInputCol(String v) { set(inputCol, v); return this; }
    public EncoderTransformer setHeightCol(String v) { set(heightCol, v); return this; }
    public EncoderTransformer setWidthCol(String v) { set(widthCol, v); return this; }
    public EncoderTransformer setChannelsCol(String v) { set(channelsCol, v); return this; }
    public EncoderTransformer setEncodingCol(String v) { set(encodingCol, v); return this; }
    public EncoderTransformer setIdCol(String v) { set(idCol, v); return this; }
    public EncoderTransformer setOutputCol(String v) { set(outputCol, v); return this; }
    public EncoderTransformer setPool(boolean v) { set(pool, v); return this; }
    public EncoderTransformer setBatchSize(int v) { set(batchSize, v); return this; }
    public EncoderTransformer setMean(double... v) { set(mean, v.clone()); return this; }
    public EncoderTransformer setStd(double... v) { set(std, v.clone()); return this; }

    /** Sets {@link #mean()} and {@link #std()} from a normalisation. */
    public EncoderTransformer setNormalization(PixelNormalization n) {
        return setMean(n.mean()).setStd(n.std());
    }

    public String getInputCol() { return $(inputCol); }
    public String getOutputCol() { return $(outputCol); }
    public String getLayer() { return $(layer); }
    public boolean getPool() { return (Boolean) $(pool); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public double[] getMean() { return $(mean).clone(); }
    public double[] getStd() { return $(std).clone(); }

    /** The input normalisation the params describe (checked: one positive std per mean). */
    public PixelNormalization normalization() {
        return new PixelNormalization($(mean), $(std));
    }

    /** The encoder as {@link ModelSerializer} bytes (a copy). */
    public byte[] modelBytes() {
        return model.clone();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        SparkSession spark = df.sparkSession();
        Broadcast<byte[]> bytes = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        StructType in = df.schema();
        List<String> names = Arrays.asList(in.fieldNames());
        PartitionInference f = new PartitionInference(bytes, $(layer), normalization(), getBatchSize(), getPool(),
                names.indexOf($(inputCol)), names.indexOf($(heightCol)), names.indexOf($(widthCol)),
                names.indexOf($(channelsCol)), names.indexOf($(encodingCol)), names.indexOf($(idCol)));
        JavaRDD<Row> rows = df.toJavaRDD().mapPartitions(f);
        return spark.createDataFrame(rows, out);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        require(schema, $(inputCol), DataTypes.BinaryType);
        require(schema, $(heightCol), DataTypes.IntegerType);
        require(schema, $(widthCol), DataTypes.IntegerType);
        require(schema, $(channelsCol), DataTypes.IntegerType);
        List<String> names = Arrays.asList(schema.fieldNames());
        if (names.contains($(encodingCol))) {
            require(schema, $(encodingCol), DataTypes.StringType);
        }
        if (names.contains($(outputCol))) {
            throw new UserError("encoder: the input already has a column '" + $(outputCol)
                    + "'; choose another with setOutputCol");
        }
        normalization();
        return schema.add($(outputCol), SQLDataTypes.VectorType(), false);
    }

    private static void require(StructType schema, String column, DataType type) {
        FeatureTable.requireColumn(schema, column, type, "encoder input");
    }

    @Override
    public EncoderTransformer copy(ParamMap extra) {
        return copyValues(new EncoderTransformer(uid, model), extra);
    }

    /**
     * Registers {@code name(data, height, width, channels, encoding)} in Spark SQL: the vector of
     * one image (the same values as {@link #transform}; encoding {@code 'raw'}, {@code 'png'} or
     * {@code 'jpeg'}). One forward pass per row, each executor core restoring the encoder once:
     * for whole tables {@link #transform} (minibatches) is faster.
     */
    public void register(SparkSession spark, String name) {
        Broadcast<byte[]> bytes = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model);
        spark.udf().register(name, new SqlFunction(bytes, $(layer), normalization(), getPool()),
                SQLDataTypes.VectorType());
    }

    /**
     * This encoder followed by a fitted linear probe (its scaler and logistic regression,
     * {@link LinearProbeModel#mllibStages}) as one MLlib {@code PipelineModel}: images in,
     * {@code features}, {@code prediction} and {@code probability} out; saved and loaded with
     * MLlib's own {@code PipelineModel.write()} / {@code PipelineModel.load}.
     */
    public PipelineModel withProbe(LinearProbeModel probe) {
        EncoderTransformer encoder = copy(ParamMap.empty());
        List<Transformer> stages = new ArrayList<>();
        stages.add(encoder);
        stages.addAll(Arrays.asList(probe.mllibStages(encoder.getOutputCol())));
        return new PipelineModel(Identifiable.randomUID("pretextEncoderProbe"), stages);
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    @Override
    public void save(String path) throws IOException {
        write().save(path);
    }

    /** MLlib's reader of a saved transformer (what {@code PipelineModel.load} calls through reflection). */
    public static MLReader<EncoderTransformer> read() {
        return new Reader();
    }

    public static EncoderTransformer load(String path) {
        return read().load(path);
    }

    private static final class Writer extends MLWriter {
        private final EncoderTransformer instance;

        Writer(EncoderTransformer instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            // Spark's own metadata format (class, uid, params), which PipelineModel.load reads first
            DefaultParamsWriter.saveMetadata(instance, path, sc(), scala.Option.empty(), scala.Option.empty());
            FsDir zip = FsDir.of(path, sc().hadoopConfiguration()).child(MODEL_FILE);
            try (OutputStream out = zip.create()) {
                out.write(instance.model);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + zip, e);
            }
        }
    }

    private static final class Reader extends MLReader<EncoderTransformer> {
        @Override
        public EncoderTransformer load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sc(),
                    EncoderTransformer.class.getName());
            FsDir zip = FsDir.of(path, sc().hadoopConfiguration()).child(MODEL_FILE);
            byte[] bytes;
            try (InputStream in = zip.open()) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + zip + " (a saved encoder holds metadata/ and "
                        + MODEL_FILE + ")", e);
            }
            EncoderTransformer t = new EncoderTransformer(metadata.uid(), bytes);
            metadata.getAndSetParams(t, scala.Option.empty());
            return t;
        }
    }

    /** The activations of one minibatch of same-shape images: [n][d]. */
    static double[][] infer(ComputationGraph graph, String layer, PixelNormalization normalization, boolean pool,
                            List<RawImages.Pixels> batch) {
        RawImages.Pixels first = batch.get(0);
        int n = batch.size(), c = first.channels(), h = first.height(), w = first.width();
        int per = c * h * w;
        float[] buf = new float[n * per];
        for (int i = 0; i < n; i++) {
            normalization.toChw(batch.get(i).data(), h, w, c, buf, i * per);
        }
        INDArray x = Nd4j.create(buf, new long[]{n, c, h, w}, 'c');
        org.nd4j.linalg.api.buffer.DataType netType = graph.params().dataType();
        if (x.dataType() != netType) x = x.castTo(netType);
        INDArray act = graph.output(List.of(layer), false, new INDArray[]{x}, null)[0];
        if (pool && act.rank() == 4) {
            act = act.mean(2, 3);
        }
        return act.reshape('c', n, act.length() / n).toDoubleMatrix();
    }

    static ComputationGraph restore(byte[] bytes) throws IOException {
        return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), false);
    }

    /** Executor side: restore once, then stream the partition through in same-shape minibatches. */
    private static final class PartitionInference implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> model;
        private final String layer;
        private final PixelNormalization normalization;
        private final int batchSize;
        private final boolean pool;
        private final int data, height, width, channels, encoding, id;

        PartitionInference(Broadcast<byte[]> model, String layer, PixelNormalization normalization, int batchSize,
                           boolean pool, int data, int height, int width, int channels, int encoding, int id) {
            this.model = model;
            this.layer = layer;
            this.normalization = normalization;
            this.batchSize = batchSize;
            this.pool = pool;
            this.data = data;
            this.height = height;
            this.width = width;
            this.channels = channels;
            this.encoding = encoding;
            this.id = id;
        }

        /** One input row with its decoded pixels. */
        private record Item(Row row, RawImages.Pixels pixels) {
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) throws IOException {
            if (!input.hasNext()) {
                return Collections.emptyIterator();
            }
            ComputationGraph graph = restore(model.value());
            TaskContext task = TaskContext.get();
            String where = task == null ? "" : " of partition " + task.partitionId();
            return new Iterator<>() {
                private long index;
                private Item pending;
                private Iterator<Row> ready = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!ready.hasNext()) {
                        List<Item> batch = nextBatch();
                        if (batch.isEmpty()) return false;
                        ready = rows(graph, batch).iterator();
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    return ready.next();
                }

                // A batch ends at batchSize or where the image shape changes: one INDArray holds one shape.
                private List<Item> nextBatch() {
                    List<Item> batch = new ArrayList<>();
                    if (pending != null) {
                        batch.add(pending);
                        pending = null;
                    }
                    while (batch.size() < batchSize && input.hasNext()) {
                        Item item = decode(input.next(), index++);
                        if (!batch.isEmpty() && !batch.get(0).pixels().sameShape(item.pixels())) {
                            pending = item;
                            break;
                        }
                        batch.add(item);
                    }
                    return batch;
                }

                private Item decode(Row r, long i) {
                    String name = id >= 0 && !r.isNullAt(id) ? String.valueOf(r.get(id)) : "row " + i + where;
                    RawImages.Pixels p = RawImages.decode(name, encoding < 0 ? null : r.getString(encoding),
                            integer(r, height), integer(r, width), integer(r, channels),
                            r.isNullAt(data) ? null : r.getAs(data));
                    if (p.channels() != normalization.channels()) {
                        throw new UserError("images table, record '" + name + "': " + p.channels()
                                + " channels, but the encoder's normalisation has " + normalization.channels());
                    }
                    return new Item(r, p);
                }
            };
        }

        private static Integer integer(Row r, int i) {
            return r.isNullAt(i) ? null : r.getInt(i);
        }

        private List<Row> rows(ComputationGraph graph, List<Item> batch) {
            List<RawImages.Pixels> pixels = new ArrayList<>(batch.size());
            for (Item item : batch) pixels.add(item.pixels());
            double[][] m = infer(graph, layer, normalization, pool, pixels);
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i).row();
                Object[] values = new Object[r.length() + 1];
                for (int c = 0; c < r.length(); c++) values[c] = r.get(c);
                values[r.length()] = Vectors.dense(m[i]);
                out.add(RowFactory.create(values));
            }
            return out;
        }
    }

    /**
     * The Spark SQL function: one image per call, with an encoder borrowed from a per-JVM pool
     * (DL4J networks are not thread-safe: one per concurrent task, restored once per JVM and core).
     */
    private static final class SqlFunction implements UDF5<byte[], Integer, Integer, Integer, String, Vector> {
        private static final long serialVersionUID = 1L;
        private static final int MAX_MODELS = 4;
        /** Idle encoders by broadcast id, least recently used first. */
        private static final Map<Long, ArrayDeque<ComputationGraph>> IDLE = new LinkedHashMap<>(8, 0.75f, true);

        private final Broadcast<byte[]> model;
        private final String layer;
        private final PixelNormalization normalization;
        private final boolean pool;

        SqlFunction(Broadcast<byte[]> model, String layer, PixelNormalization normalization, boolean pool) {
            this.model = model;
            this.layer = layer;
            this.normalization = normalization;
            this.pool = pool;
        }

        @Override
        public Vector call(byte[] data, Integer height, Integer width, Integer channels, String encoding)
                throws IOException {
            RawImages.Pixels p = RawImages.decode("(sql)", encoding, height, width, channels, data);
            ComputationGraph graph = borrow();
            try {
                return Vectors.dense(infer(graph, layer, normalization, pool, List.of(p))[0]);
            } finally {
                giveBack(graph);
            }
        }

        private ComputationGraph borrow() throws IOException {
            synchronized (IDLE) {
                ArrayDeque<ComputationGraph> idle = IDLE.get(model.id());
                if (idle != null && !idle.isEmpty()) {
                    return idle.pop();
                }
            }
            return restore(model.value());
        }

        private void giveBack(ComputationGraph graph) {
            synchronized (IDLE) {
                IDLE.computeIfAbsent(model.id(), k -> new ArrayDeque<>()).push(graph);
                Iterator<Long> oldest = IDLE.keySet().iterator();
                while (IDLE.size() > MAX_MODELS) {
                    oldest.next();
                    oldest.remove();
                }
            }
        }
    }
}
