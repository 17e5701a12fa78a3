package dev.pretext.data.imagefolder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import dev.pretext.UserError;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.IngestResult;
import dev.pretext.data.Manifest;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.QuarantineTable;
import dev.pretext.data.QuarantinedItem;
import dev.pretext.data.SparkErrors;
import dev.pretext.data.TableCommit;

/**
 * Ingests an ImageNet-style image folder ({@code train/<class>/*}, {@code val/<class>/*}, a flat
 * {@code val/} with a labels CSV) or a tar of one (ILSVRC-2012's tar of per-class tars, or a plain
 * tar of a folder tree) into an images table of re-encoded JPEG/PNG rows.
 *
 * <p>The driver plans and never holds per-file metadata: for a folder it lists only the root and
 * collects the class-folder names; the split and class folders are listed on the executors, the
 * files shuffled into tasks of {@code filesPerTask} and decoded there. For a tar it reads only the
 * member headers (see {@link TarPlan}). Bad inputs (corrupt, empty, not an image, over the pixel
 * limit, a truncated tar member, an unreadable folder) stop the job under FAIL, naming the input and
 * the reason; under SKIP they go to {@code _quarantine} in the same pass, and the manifest reconciles
 * inputs seen = rows written + quarantined, with the two sides counted independently.
 */
public final class ImageFolderIngest {
    public static final String FORMAT = "imagefolder";
    public static final String STAGE = "ingest";
    /** No single input file above this is read (a 2 GB array is Java's limit; no real image is near it). */
    static final long MAX_FILE_BYTES = 1L << 30;

    private ImageFolderIngest() {
    }

    public static IngestResult run(SparkSession spark, String input, String outDir, ImageFolderSettings settings,
                                   OnCorrupt onCorrupt, boolean overwrite) {
        OnCorrupt policy = onCorrupt == null ? OnCorrupt.FAIL : onCorrupt;
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        List<InputSpec> specs = InputSpec.parseList(input, settings.defaultSplit());
        List<FileStatus> statuses = new ArrayList<>();
        for (InputSpec spec : specs) {
            Path root = qualify(spec.path(), conf);
            FileStatus st = status(root, conf);
            if (st.isFile() && !st.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".tar")) {
                throw new UserError("input " + root + " is a file but not a .tar; give an image folder or a tar of one");
            }
            statuses.add(st);
        }
        try (TableCommit commit = TableCommit.begin(conf, outDir, overwrite)) {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            QuarantineLog log = new QuarantineLog(spark.sparkContext(), policy);
            FolderLister files = new FolderLister(conf);
            Map<String, LabelsCsv> explicit = new LinkedHashMap<>();
            if (!settings.labelsCsv().isEmpty()) {
                explicit.put("*", readLabels(new Path(settings.labelsCsv()), conf));
            }

            // plan every input first: the class index must cover all of them before any image is labelled
            List<Planned> plans = new ArrayList<>();
            java.util.Set<String> classNames = new java.util.TreeSet<>();
            java.util.Set<String> csvClasses = new java.util.TreeSet<>();
            List<String> splits = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                ImageFolderSettings s = settings.withDefaultSplit(specs.get(i).split());
                Map<String, LabelsCsv> labels = new LinkedHashMap<>(explicit);
                FileStatus st = statuses.get(i);
                Planned p = st.isFile()
                        ? TarPlan.plan(jsc, files, st, s, labels, log)
                        : planFolder(jsc, files, st.getPath(), s, labels, log);
                plans.add(p);
                classNames.addAll(p.classes());
                labels.values().forEach(l -> csvClasses.addAll(l.classes()));
                p.splits().forEach(x -> {
                    if (!splits.contains(x)) {
                        splits.add(x);
                    }
                });
            }
            splits.sort(java.util.Comparator.comparingInt(FolderLayout.SPLITS::indexOf));
            // without class folders (a flat folder alone), the classes are those the labels CSVs name
            ClassIndex index = ClassIndex.of(classNames.isEmpty() ? csvClasses : classNames);
            JavaRDD<Row> all = null;
            long inputBytes = 0;
            long estimate = 0;
            for (Planned p : plans) {
                JavaRDD<Row> r = p.rows().apply(index);
                all = all == null ? r : all.union(r);
                inputBytes += p.inputBytes();
                estimate += p.estimatedOutputBytes();
            }
            ImagesTable.writeParquet(spark.createDataFrame(all, ImageRows.SCHEMA), commit.tempDir(),
                    shards(settings, estimate), settings.rowGroupBytes());
            long seen = plans.stream().mapToLong(p -> p.seen().getAsLong()).sum();

            List<QuarantinedItem> bad = log.quarantined();
            if (policy == OnCorrupt.SKIP) {
                List<Row> rows = bad.stream().map(QuarantineTable::toRow).toList();
                spark.createDataFrame(rows, QuarantineTable.SCHEMA).repartition(1).write().mode(SaveMode.ErrorIfExists)
                        .parquet(QuarantineTable.path(commit.tempDir()));
            }
            Map<String, Long> counts = ImagesTable.countBySplit(spark, commit.tempDir(), splits);
            long rows = counts.values().stream().mapToLong(Long::longValue).sum();
            String where = specs.size() == 1 ? plans.get(0).input() : plans.stream().map(Planned::input).toList().toString();
            if (seen != rows + bad.size()) {
                throw new IllegalStateException("ingest of " + where + " does not reconcile: " + seen + " inputs seen but "
                        + rows + " rows written + " + bad.size() + " quarantined");
            }
            if (specs.size() > 1) {
                requireUniqueIds(spark, commit.tempDir(), rows);
            }
            Map<String, Object> extra = new LinkedHashMap<>(settings.describe());
            extra.put("input", specs.size() == 1 ? plans.get(0).input() : plans.stream().map(Planned::input).toList());
            extra.put("input_kind", specs.size() == 1 ? plans.get(0).kind() : plans.stream().map(Planned::kind).toList());
            if (specs.size() > 1) {
                extra.put("input_splits", specs.stream().map(InputSpec::split).toList());
            }
            extra.put("on_corrupt", policy.name());
            extra.put("classes", index.names());
            List<Manifest.Input> inputs = plans.stream().map(p -> new Manifest.Input(p.input(), p.inputBytes())).toList();
            Manifest manifest = Manifest.create(ImageRows.SCHEMA_VERSION, STAGE, FORMAT, inputs, counts, seen, bad.size(),
                    extra);
            commit.commit(manifest);
            plans.forEach(p -> p.release().run());
            return new IngestResult(commit.outDir(), counts, seen, rows, bad.size(), manifest);
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        }
    }

    /** Two inputs holding the same relative path would give two rows one id: refused. */
    private static void requireUniqueIds(SparkSession spark, String dir, long rows) {
        List<Row> dup = spark.read().schema(ImageRows.SCHEMA).parquet(dir).groupBy("id").count()
                .where("count > 1").limit(1).collectAsList();
        if (!dup.isEmpty()) {
            throw new UserError("the inputs overlap: image id '" + dup.get(0).getString(0) + "' comes from more than one"
                    + " input; give inputs whose split/class/file paths differ");
        }
    }

    /**
     * What a planner hands to the writer.
     *
     * @param input      the input, fully qualified
     * @param rows       the images rows for a class index, computed lazily on the executors
     * @param seen       inputs seen, valid once the rows have been computed
     * @param splits     split names found
     * @param classes    class names found (class folders, per-class tars)
     * @param inputBytes bytes of the input
     * @param estimatedOutputBytes for the automatic shard count
     * @param kind       what the input was ({@code folder}, {@code tar}, {@code tar-of-tars})
     * @param release    frees cached listings
     */
    record Planned(String input, java.util.function.Function<ClassIndex, JavaRDD<Row>> rows,
                   java.util.function.LongSupplier seen, List<String> splits, java.util.Set<String> classes,
                   long inputBytes, long estimatedOutputBytes, String kind, Runnable release) {
    }

    private static Planned planFolder(JavaSparkContext jsc, FolderLister files, Path root, ImageFolderSettings settings,
                                      Map<String, LabelsCsv> labels, QuarantineLog log) {
        Configuration conf = jsc.hadoopConfiguration();
        List<InputEntry> splitDirs = new ArrayList<>();
        try {
            FileSystem fs = root.getFileSystem(conf);
            for (FileStatus c : fs.listStatus(root)) {
                String name = c.getPath().getName();
                if (c.isDirectory() && FolderLayout.isSplit(name)) {
                    splitDirs.add(InputEntry.dir(c.getPath().toString(), new Placement(name, null, name)));
                    Path csv = new Path(c.getPath(), FolderLister.LABELS_FILE);
                    if (!labels.containsKey("*") && fs.exists(csv)) {
                        labels.put(name, readLabels(csv, conf));
                    }
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot list input folder " + root + ": " + FolderLister.describe(e));
        }
        if (splitDirs.isEmpty()) {
            // the root is itself one split: <class>/<file> or flat files
            String split = settings.defaultSplit();
            splitDirs.add(InputEntry.dir(root.toString(), new Placement(split, null, split)));
            Path csv = new Path(root, FolderLister.LABELS_FILE);
            try {
                if (!labels.containsKey("*") && root.getFileSystem(conf).exists(csv)) {
                    labels.put(split, readLabels(csv, conf));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        splitDirs.sort(java.util.Comparator.comparingInt(e -> FolderLayout.SPLITS.indexOf(e.placement().split())));
        List<String> splits = splitDirs.stream().map(e -> e.placement().split()).toList();

        JavaRDD<InputEntry> top = jsc.parallelize(splitDirs, splitDirs.size())
                .flatMap(d -> files.listSplit(d.uri(), d.placement().split()).iterator())
                .persist(StorageLevel.MEMORY_AND_DISK());
        List<InputEntry> classDirs = top.filter(InputEntry::isDir).collect();
        JavaRDD<InputEntry> classFiles = jsc.parallelize(classDirs, Math.max(1, classDirs.size()))
                .flatMap(d -> files.listClass(d).iterator());
        JavaRDD<InputEntry> inputs = top.filter(e -> !e.isDir()).union(classFiles)
                .persist(StorageLevel.MEMORY_AND_DISK());
        // one job for both: the count is the independent side of the reconciliation
        long[] countAndBytes = inputs.map(e -> new long[] {1, e.size()})
                .fold(new long[] {0, 0}, (x, y) -> new long[] {x[0] + y[0], x[1] + y[1]});
        long n = countAndBytes[0];
        long bytes = countAndBytes[1];
        if (n == 0) {
            throw new UserError("no input files under " + root + "; expected train/<class>/<image>, val/<class>/<image>"
                    + " or a flat val/ with a labels CSV (hidden files are skipped)");
        }
        java.util.Set<String> classes = classNames(classDirs);
        int tasks = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (n + settings.filesPerTask() - 1) / settings.filesPerTask()));
        java.util.function.Function<ClassIndex, JavaRDD<Row>> rows = index -> {
            ImageConverter converter = new ImageConverter(settings, index, labels);
            return inputs.repartition(tasks).mapPartitions(it -> {
                List<Row> out = new ArrayList<>();
                while (it.hasNext()) {
                    InputEntry e = it.next();
                    Outcome o = convertFile(files, converter, e);
                    if (o.isGood()) {
                        out.add(ImageRows.toRow(o.image()));
                    } else {
                        log.bad(o.bad());
                    }
                }
                return out.iterator();
            });
        };
        long estimate = estimateOutputBytes(settings, n, bytes);
        return new Planned(root.toString(), rows, () -> n, splits, classes, bytes, estimate, "folder", () -> {
            inputs.unpersist(false);
            top.unpersist(false);
        });
    }

    private static Outcome convertFile(FolderLister files, ImageConverter converter, InputEntry e) {
        if (InputEntry.UNREADABLE.equals(e.kind())) {
            return Outcome.bad(e.uri(), e.error());
        }
        byte[] bytes;
        try {
            bytes = files.readAll(e.uri(), MAX_FILE_BYTES);
        } catch (IOException | RuntimeException x) {
            return Outcome.bad(e.uri(), "cannot read file: " + FolderLister.describe(x));
        }
        return converter.convert(bytes, e.placement(), e.uri());
    }

    /** The class-folder names of the labelled splits. */
    static Set<String> classNames(List<InputEntry> classDirs) {
        Set<String> names = new LinkedHashSet<>();
        for (InputEntry d : classDirs) {
            if (!"unlabeled".equals(d.placement().split())) {
                names.add(d.placement().className());
            }
        }
        return names;
    }

    static LabelsCsv readLabels(Path p, Configuration conf) {
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            return LabelsCsv.parse(in, p.toString());
        } catch (java.io.FileNotFoundException e) {
            throw new UserError("labels CSV " + p + " does not exist");
        } catch (IOException e) {
            throw new UserError("cannot read labels CSV " + p + ": " + FolderLister.describe(e));
        }
    }

    /**
     * Output bytes, for the automatic shard count: the input size when images are kept as they are;
     * else the resized pixels at a typical compression (JPEG about 1/8 of RGB bytes at quality 90,
     * PNG about 1/2).
     */
    static long estimateOutputBytes(ImageFolderSettings s, long n, long inputBytes) {
        int side = s.resize().size();
        if (side <= 0) {
            return inputBytes;
        }
        double ratio = "png".equals(s.encoder().encoding()) ? 0.5 : 0.125;
        return (long) (n * (double) side * side * 3 * ratio);
    }

    static int shards(ImageFolderSettings s, long estimatedOutputBytes) {
        if (s.shards() > 0) {
            return s.shards();
        }
        return (int) Math.max(1, Math.min(100_000, (estimatedOutputBytes + s.shardBytes() - 1) / s.shardBytes()));
    }

    static Path qualify(String dir, Configuration conf) {
        if (dir == null || dir.isBlank()) {
            throw new UserError("input is empty; give an image folder or a tar of one");
        }
        return new Path(dev.pretext.data.HadoopPaths.qualify(dir, conf));
    }

    private static FileStatus status(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf).getFileStatus(p);
        } catch (java.io.FileNotFoundException e) {
            throw new UserError("input " + p + " does not exist; give an image folder or a tar of one");
        } catch (IOException e) {
            throw new UserError("cannot read input " + p + ": " + FolderLister.describe(e));
        }
    }
}
