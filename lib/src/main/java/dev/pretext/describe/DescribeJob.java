package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.HadoopPaths;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.data.SparkErrors;
import dev.pretext.data.TableCommit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static org.apache.spark.sql.functions.col;

/**
 * The {@code describe} stage: reads an images table, computes on the executors every image's
 * handcrafted descriptors ({@link Descriptor}) and teacher embeddings ({@link Teacher}), and commits
 * a descriptors table ({@link DescriptorRows}) atomically with a manifest giving each column's
 * dimension and parameters ({@link DescriptorsTable}). All images of the table must have one size:
 * MV-MR stacks a batch's vectors into one matrix per column. Bad input (mixed sizes, images too
 * small for a descriptor, a missing or unusable teacher) fails before any output exists; any
 * failure leaves nothing at the output path.
 */
public final class DescribeJob {

    private DescribeJob() {
    }

    /**
     * @param imagesDir   a committed images table
     * @param outDir      the table to create; must not exist unless {@code overwrite}
     * @param descriptors handcrafted representations, one column each, in this order
     * @param teachers    teacher embeddings, one column each after the descriptors (may be empty)
     * @param shards      Parquet files written, and partitions the work is spread over
     */
    public static DescribeResult run(SparkSession spark, String imagesDir, String outDir, List<Descriptor> descriptors,
                                     List<Teacher> teachers, int shards, boolean overwrite) {
        return run(spark, imagesDir, outDir, descriptors, teachers, shards, overwrite, null);
    }

    /**
     * As above, describing only the images of {@code splits} (null: all), e.g. a pipeline's
     * pre-training splits. The manifest records the images table's {@link ImagesTable#fingerprint}
     * (of all its rows), so the table can be matched to those images later.
     */
    public static DescribeResult run(SparkSession spark, String imagesDir, String outDir, List<Descriptor> descriptors,
                                     List<Teacher> teachers, int shards, boolean overwrite, List<String> splits) {
        List<Descriptor> ds = descriptors == null ? List.of() : List.copyOf(descriptors);
        List<Teacher> ts = teachers == null ? List.of() : List.copyOf(teachers);
        if (shards < 1) {
            throw new UserError("describe: shards must be >= 1 (got " + shards + ")");
        }
        List<String> columns = new ArrayList<>();
        ds.forEach(d -> columns.add(d.name()));
        ts.forEach(t -> columns.add(t.column()));
        StructType schema = DescriptorRows.schema(columns); // empty list and duplicate names fail here
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            Manifest imagesManifest = ImagesTable.manifest(spark, imagesDir);
            Dataset<Row> images = ImagesTable.read(spark, imagesDir);
            if (splits != null) {
                for (String split : splits) {
                    if (!imagesManifest.counts().containsKey(split)) {
                        throw new UserError("images table " + imagesDir + " has no split '" + split + "'; it has "
                                + imagesManifest.counts().keySet());
                    }
                }
                images = images.where(col("split").isin(splits.toArray()));
            }
            String fingerprint = ImagesTable.fingerprint(spark, imagesDir);
            try (TableCommit commit = TableCommit.begin(conf, outDir, overwrite)) {
                long[] size = commonSize(images, imagesDir);
                int height = (int) size[0];
                int width = (int) size[1];
                long imageCount = size[2];
                Map<String, Integer> dims = new LinkedHashMap<>();
                Map<String, Object> columnExtra = new LinkedHashMap<>();
                for (Descriptor d : ds) {
                    dims.put(d.name(), d.dimension(height, width));
                    columnExtra.put(d.name(), columnEntry(dims.get(d.name()), d.parameters()));
                }
                List<ResolvedTeacher> resolved = new ArrayList<>();
                List<Manifest.Input> inputs = new ArrayList<>();
                inputs.add(new Manifest.Input(HadoopPaths.qualify(imagesDir, conf), HadoopPaths.sizeBytes(imagesDir, conf)));
                for (Teacher t : ts) {
                    ResolvedTeacher r = t.resolve(conf, height, width);
                    resolved.add(r);
                    dims.put(r.column(), r.dimension());
                    columnExtra.put(r.column(), columnEntry(r.dimension(), r.parameters()));
                    if (inputs.stream().noneMatch(in -> in.name().equals(r.modelFile()))) {
                        inputs.add(new Manifest.Input(r.modelFile(), r.modelBytes()));
                    }
                }

                Broadcast<SerializableConfiguration> hadoop = JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .broadcast(new SerializableConfiguration(conf));
                int[] dimArray = dims.values().stream().mapToInt(Integer::intValue).toArray();
                JavaRDD<Row> rows = images.repartition(shards).toJavaRDD()
                        .mapPartitions(new Describe(ds, resolved, dimArray, height, width, hadoop));
                spark.createDataFrame(rows, schema).write().mode(SaveMode.ErrorIfExists).parquet(commit.tempDir());

                Map<String, Long> counts = new LinkedHashMap<>();
                imagesManifest.counts().keySet().stream().filter(split -> splits == null || splits.contains(split))
                        .forEach(split -> counts.put(split, 0L));
                for (Row r : spark.read().schema(schema).parquet(commit.tempDir()).groupBy("split").count()
                        .collectAsList()) {
                    counts.put(r.getString(0), r.getLong(1));
                }
                long written = counts.values().stream().mapToLong(Long::longValue).sum();
                if (written != imageCount) {
                    throw new IllegalStateException("descriptors of " + imagesDir + " do not reconcile: " + imageCount
                            + " images read != " + written + " rows written");
                }
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put(DescriptorsTable.EXTRA_HEIGHT, height);
                extra.put(DescriptorsTable.EXTRA_WIDTH, width);
                extra.put(DescriptorsTable.EXTRA_COLUMNS, columnExtra);
                extra.put(DescriptorsTable.EXTRA_IMAGES_FINGERPRINT, fingerprint);
                extra.put("row", "one per image: " + String.join(", ", DescriptorRows.KEY_COLUMNS)
                        + ", then one array<float> per column");
                Manifest manifest = Manifest.create(DescriptorRows.SCHEMA_VERSION, DescriptorsTable.STAGE,
                        imagesManifest.format(), inputs, counts, imageCount, 0, extra);
                commit.commit(manifest);
                return new DescribeResult(commit.outDir(), counts, written, height, width, dims, manifest);
            }
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        }
    }

    private static Map<String, Object> columnEntry(int dimension, Map<String, Object> parameters) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(DescriptorsTable.DIMENSION, dimension);
        m.put(DescriptorsTable.PARAMETERS, parameters);
        return m;
    }

    /**
     * The one image size of the table and its row count, {height, width, rows}; fails naming an
     * image of another size than the most common one. Reads only the size columns.
     */
    static long[] commonSize(Dataset<Row> images, String imagesDir) {
        List<Row> sizes = images.groupBy("height", "width").count()
                .orderBy(col("count").desc(), col("height"), col("width")).collectAsList();
        if (sizes.isEmpty()) {
            throw new UserError("images table " + imagesDir + " has no rows; nothing to describe");
        }
        int h = sizes.get(0).getInt(0);
        int w = sizes.get(0).getInt(1);
        if (sizes.size() > 1) {
            Row odd = images.where(col("height").notEqual(h).or(col("width").notEqual(w)))
                    .select("id", "height", "width").limit(1).collectAsList().get(0);
            long others = sizes.stream().skip(1).mapToLong(r -> r.getLong(2)).sum();
            throw new UserError("images table " + imagesDir + " mixes image sizes: " + sizes.get(0).getLong(2)
                    + " images are " + w + "x" + h + " but image '" + odd.getString(0) + "' is " + odd.getInt(2) + "x"
                    + odd.getInt(1) + " (" + others + " images of " + (sizes.size() - 1) + " other sizes); "
                    + "a descriptors table needs one size for MV-MR batches: ingest with a fixed size "
                    + "(e.g. --resize fixed:S)");
        }
        return new long[]{h, w, sizes.get(0).getLong(2)};
    }

    /**
     * The executor side: images-table rows to descriptors rows, lazily, a chunk of images at a time
     * so that teachers run batched forward passes. Teacher models are borrowed from the JVM's
     * {@link TeacherModelPool} for the task and given back when it completes.
     */
    static final class Describe implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;
        private final List<Descriptor> descriptors;
        private final List<ResolvedTeacher> teachers;
        private final int[] dims;
        private final int height;
        private final int width;
        private final Broadcast<SerializableConfiguration> hadoop;

        Describe(List<Descriptor> descriptors, List<ResolvedTeacher> teachers, int[] dims, int height, int width,
                 Broadcast<SerializableConfiguration> hadoop) {
            this.descriptors = descriptors;
            this.teachers = teachers;
            this.dims = dims;
            this.height = height;
            this.width = width;
            this.hadoop = hadoop;
        }

        private int chunkSize() {
            int chunk = 1;
            for (ResolvedTeacher t : teachers) {
                chunk = Math.max(chunk, t.batchSize());
            }
            return chunk;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            if (!input.hasNext()) {
                return Collections.emptyIterator();
            }
            List<TeacherModel> models = borrowModels();
            int chunk = chunkSize();
            return new Iterator<>() {
                private Iterator<Row> ready = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!ready.hasNext()) {
                        if (!input.hasNext()) {
                            return false;
                        }
                        List<ImageRecord> batch = new ArrayList<>(chunk);
                        while (batch.size() < chunk && input.hasNext()) {
                            batch.add(rgb(ImageRows.fromRow(input.next())));
                        }
                        ready = describe(batch, models).iterator();
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return ready.next();
                }
            };
        }

        private List<TeacherModel> borrowModels() {
            if (teachers.isEmpty()) {
                return List.of();
            }
            Configuration conf = hadoop.value().value();
            List<TeacherModel> models = new ArrayList<>();
            for (ResolvedTeacher t : teachers) {
                models.add(TeacherModelPool.borrow(t.key(), conf));
            }
            TaskContext task = TaskContext.get();
            if (task != null) {
                // given back even when the task fails or stops early; a failed forward pass leaves
                // the network's parameters as they were
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                    for (int i = 0; i < models.size(); i++) {
                        TeacherModelPool.giveBack(teachers.get(i).key(), models.get(i));
                    }
                });
            }
            return models;
        }

        /** Decoded once here rather than once per descriptor; checked against the table's size. */
        private ImageRecord rgb(ImageRecord image) {
            ImageRecord raw = image.toRaw();
            String at = "describe: images table record '" + raw.id() + "'";
            if (raw.height() != height || raw.width() != width) {
                throw new UserError(at + " is " + raw.width() + "x" + raw.height() + " but the table's images are "
                        + width + "x" + height);
            }
            if (raw.channels() != 1 && raw.channels() != RgbPlanes.CHANNELS) {
                throw new UserError(at + " has " + raw.channels() + " channels; expected 1 or 3");
            }
            long expected = (long) height * width * raw.channels();
            if (raw.data() == null || raw.data().length != expected) {
                throw new UserError(at + " has " + (raw.data() == null ? "no" : raw.data().length)
                        + " bytes of pixels; expected height*width*channels = " + expected);
            }
            return RgbPlanes.rgb(raw, "describe");
        }

        private List<Row> describe(List<ImageRecord> batch, List<TeacherModel> models) {
            int n = batch.size();
            int cols = descriptors.size() + teachers.size();
            float[][][] vectors = new float[n][cols][];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < descriptors.size(); k++) {
                    vectors[i][k] = descriptors.get(k).compute(batch.get(i));
                }
            }
            for (int t = 0; t < teachers.size(); t++) {
                float[][] e = teachers.get(t).embed(models.get(t), batch);
                for (int i = 0; i < n; i++) {
                    vectors[i][descriptors.size() + t] = e[i];
                }
            }
            List<Row> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ImageRecord r = batch.get(i);
                for (int k = 0; k < cols; k++) {
                    if (vectors[i][k].length != dims[k]) {
                        throw new IllegalStateException("column " + k + " of image '" + r.id() + "' has "
                                + vectors[i][k].length + " values; expected " + dims[k]);
                    }
                }
                out.add(DescriptorRows.toRow(r.id(), r.split(), r.label(), height, width, vectors[i]));
            }
            return out;
        }
    }
}
