package dev.pretext.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import dev.pretext.UserError;

/**
 * Ingests a CIFAR-10, CIFAR-100 or STL-10 binary dataset into an images table.
 *
 * <p>The driver only plans: it validates the input folder (files present, sizes whole numbers of
 * records) and cuts every file into record ranges of about {@code maxBytesPerTask}. Executors open
 * their range and stream it (the driver never holds pixels), the rows are repartitioned into
 * {@code shards} Parquet files and committed atomically with a {@link Manifest}. Under
 * {@link OnCorrupt#SKIP} bad records go to {@code <out>/_quarantine}; under FAIL the first bad record
 * fails the job with a {@link UserError} naming it, and nothing is left at {@code <out>}.
 *
 * <p>The inputs are read twice under SKIP (once for the images, once for the quarantine table):
 * sequential re-reading costs less than caching tens of GB of pixels, and keeps both passes
 * deterministic functions of the files.
 */
public final class IngestJob {
    public static final String STAGE = "ingest";
    public static final long DEFAULT_MAX_BYTES_PER_TASK = 64L << 20;

    private final long maxBytesPerTask;

    public IngestJob() {
        this(DEFAULT_MAX_BYTES_PER_TASK);
    }

    /** @param maxBytesPerTask input bytes one Spark task reads at most (at least one record) */
    public IngestJob(long maxBytesPerTask) {
        if (maxBytesPerTask < 1) {
            throw new IllegalArgumentException("maxBytesPerTask must be >= 1");
        }
        this.maxBytesPerTask = maxBytesPerTask;
    }

    /** {@link #run} with default task sizes. */
    public static IngestResult ingest(SparkSession spark, String format, String inputDir, String outDir, int shards,
                                      OnCorrupt onCorrupt, boolean overwrite) {
        return new IngestJob().run(spark, format, inputDir, outDir, shards, onCorrupt, overwrite);
    }

    /**
     * @param format    {@code cifar10}, {@code cifar100} or {@code stl10}
     * @param inputDir  the dataset folder (or its parent holding the official sub-folder), any Hadoop path
     * @param outDir    the table to create; must not exist unless {@code overwrite}
     * @param shards    number of Parquet files of the images table
     * @param onCorrupt FAIL or SKIP for bad records
     */
    public IngestResult run(SparkSession spark, String format, String inputDir, String outDir, int shards,
                            OnCorrupt onCorrupt, boolean overwrite) {
        if (shards < 1) {
            throw new UserError("shards must be >= 1 (got " + shards + ")");
        }
        OnCorrupt policy = onCorrupt == null ? OnCorrupt.FAIL : onCorrupt;
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        // validation first, on the driver: a bad folder fails here, before any Spark job
        BinaryDatasetReader reader = BinaryDatasetReader.open(format, new HadoopFolder(qualifyInput(inputDir, conf), conf),
                policy);
        List<ReadTask> tasks = plan(reader.files());
        try (TableCommit commit = TableCommit.begin(conf, outDir, overwrite)) {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

            JavaRDD<Row> images = readRows(jsc, reader, tasks, r -> r.isGood() ? ImageRows.toRow(r.image()) : null);
            ImagesTable.writeParquet(spark.createDataFrame(images, ImageRows.SCHEMA), commit.tempDir(), shards);

            String quarantineDir = QuarantineTable.path(commit.tempDir());
            long quarantined = 0;
            if (policy == OnCorrupt.SKIP) {
                JavaRDD<Row> bad = readRows(jsc, reader, checkTasks(reader, tasks),
                        r -> r.isGood() ? null : QuarantineTable.toRow(r.quarantined()));
                // repartition, not coalesce: coalesce(1) would pull every read into a single task
                spark.createDataFrame(bad, QuarantineTable.SCHEMA).repartition(1).write().mode(SaveMode.ErrorIfExists)
                        .parquet(quarantineDir);
                quarantined = spark.read().schema(QuarantineTable.SCHEMA).parquet(quarantineDir).count();
            }

            List<String> splits = reader.files().stream().map(DatasetFile::split).distinct().toList();
            Map<String, Long> counts = ImagesTable.countBySplit(spark, commit.tempDir(), splits);
            long rows = counts.values().stream().mapToLong(Long::longValue).sum();
            long seen = reader.recordsSeen();
            if (seen != rows + quarantined) {
                // the two counts come from independent places (file sizes vs written tables)
                throw new IllegalStateException("ingest of " + reader.folder().location() + " does not reconcile: "
                        + seen + " records seen but " + rows + " rows written + " + quarantined + " quarantined");
            }

            List<Manifest.Input> inputs = new ArrayList<>();
            reader.inputs().forEach((name, size) -> inputs.add(new Manifest.Input(name, size)));
            Map<String, Object> extra = new LinkedHashMap<>(reader.metadata());
            extra.put("input_dir", reader.folder().location());
            extra.put("on_corrupt", policy.name());
            extra.put("shards", shards);
            Manifest manifest = Manifest.create(ImageRows.SCHEMA_VERSION, STAGE, reader.format(), inputs, counts, seen,
                    quarantined, extra);
            commit.commit(manifest);
            return new IngestResult(commit.outDir(), counts, seen, rows, quarantined, manifest);
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        }
    }

    /** One Spark task: records [from, to) of data file {@code file}. */
    record ReadTask(int file, long from, long to) implements java.io.Serializable {
    }

    /**
     * The tasks of the quarantine pass: only ranges that can hold a bad record. A file without
     * labels (STL-10 unlabeled) can only have a truncated tail, so its pixels are not read again.
     */
    static List<ReadTask> checkTasks(BinaryDatasetReader reader, List<ReadTask> tasks) {
        List<ReadTask> out = new ArrayList<>();
        for (ReadTask t : tasks) {
            DatasetFile f = reader.files().get(t.file());
            if (reader.hasLabels(f)) {
                out.add(t);
            } else if (f.partialBytes() > 0 && t.to() == f.seen()) {
                out.add(new ReadTask(t.file(), f.records(), f.seen()));
            }
        }
        return out;
    }

    private static String qualifyInput(String dir, org.apache.hadoop.conf.Configuration conf) {
        if (dir == null || dir.isBlank()) {
            throw new UserError("input folder is empty; give the dataset folder");
        }
        return HadoopPaths.qualify(dir, conf);
    }

    List<ReadTask> plan(List<DatasetFile> files) {
        List<ReadTask> tasks = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            DatasetFile f = files.get(i);
            long per = Math.max(1, maxBytesPerTask / f.recordBytes());
            for (long from = 0; from < f.seen(); from += per) {
                tasks.add(new ReadTask(i, from, Math.min(f.seen(), from + per)));
            }
        }
        return tasks;
    }

    /**
     * Rows made by {@code toRow} (null drops a result) from every task's range, one Spark partition
     * per task. Only task numbers are parallelised: the tasks and the reader travel in the closure,
     * through Java serialisation (Kryo cannot rebuild records or the Hadoop configuration).
     */
    private static JavaRDD<Row> readRows(JavaSparkContext jsc, BinaryDatasetReader reader, List<ReadTask> tasks,
                                         SerializableFunction<ReadResult, Row> toRow) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            ids.add(i);
        }
        List<ReadTask> plan = List.copyOf(tasks);
        return jsc.parallelize(ids, Math.max(1, ids.size())).flatMap(i -> {
            ReadTask t = plan.get(i);
            DatasetFile f = reader.files().get(t.file());
            return new MappedIterator(reader.read(f, t.from(), t.to()), toRow);
        });
    }

    /** A function that Spark can ship. */
    interface SerializableFunction<A, B> extends Function<A, B>, java.io.Serializable {
    }

    /** Maps a stream of results to rows, dropping those mapped to null. */
    private static final class MappedIterator implements Iterator<Row> {
        private final CloseableIterator<ReadResult> in;
        private final Function<ReadResult, Row> f;
        private Row next;

        MappedIterator(CloseableIterator<ReadResult> in, Function<ReadResult, Row> f) {
            this.in = in;
            this.f = f;
        }

        @Override
        public boolean hasNext() {
            while (next == null && in.hasNext()) {
                next = f.apply(in.next());
            }
            return next != null;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Row r = next;
            next = null;
            return r;
        }
    }
}
