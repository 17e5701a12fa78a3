package dev.pretext.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImageEncoder;
import dev.pretext.data.IngestResult;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.ResizePolicy;
import dev.pretext.data.imagefolder.ImageFolderIngest;
import dev.pretext.data.imagefolder.ImageFolderSettings;
import dev.pretext.spark.SparkSessions;
import dev.pretext.synth.SynthImageFolderWriter;

/**
 * {@code bench ingest}: image-folder ingest throughput against the raw read speed of the same files,
 * and how the Parquet row-group size changes what a training reader gets.
 */
@Command(name = "ingest",
        header = "image-folder ingest throughput against the raw read speed of the same files; row-group sizes",
        description = """
                Writes (once; reused from bench-out/) a synthetic ImageNet-style folder of N JPEG files
                of S x S pixels (default 100000 of 64 x 64, 10 classes), then measures in one run:
                  raw read: cat of every file to /dev/null (the same files, same page-cache state)
                  ingest:   bin/pretext ingest --dataset imagefolder (resize keep, JPEG q90) on M
                            (default local[2]), images/s and input bytes/s, and the ratio to raw read
                  large:    N (default 2000) 500 x 375 JPEGs ingested with shorter:256 (ImageNet-like
                            decode + resize + encode cost per image) -> ms per image per core
                  row groups: the small table rewritten with each row-group size, then a full scan that
                            decodes every image: read tasks and images/s per size
                Results: JSON to FILE (default bench-out/ingest-<time>.json) and a table on stdout.
                """)
final class IngestBench extends PretextCommand {
    @Option(names = "--images", paramLabel = "N", defaultValue = "100000", description = "Small JPEG files. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--size", paramLabel = "S", defaultValue = "64", description = "Their side. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--large", paramLabel = "N", defaultValue = "2000", description = "500 x 375 JPEGs. Default: ${DEFAULT-VALUE}.")
    int large;

    @Option(names = "--master", paramLabel = "M", defaultValue = "local[2]", description = "Spark master. Default: ${DEFAULT-VALUE}.")
    String master;

    @Option(names = "--out", paramLabel = "FILE", description = "The JSON (default: bench-out/ingest-<time>.json).")
    String outFile;

    @Option(names = "--row-groups", paramLabel = "4,16,64,256", defaultValue = "4,16,64,256",
            description = "Row-group sizes (MB) to compare.")
    String rowGroups;

    @Option(names = "--keep", description = "Keep the tables written under bench-out/.")
    boolean keep;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path root = Path.of("bench-out").toAbsolutePath();
        Path folder = root.resolve("imagefolder-" + n + "-" + size);
        Path big = root.resolve("imagefolder-large-" + large);
        Path work = root.resolve("ingest-" + stamp);
        Path out = Path.of(outFile != null ? outFile : "bench-out/ingest-" + stamp + ".json").toAbsolutePath();
        int cores = Runtime.getRuntime().availableProcessors();
        makeFolder(folder, n, size, cores);
        makeLargeFolder(big, large, cores);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("when", stamp);
        r.put("machine", cores + " cores, Java " + System.getProperty("java.version"));
        r.put("master", master);
        r.put("images", n);
        r.put("size", size);
        long inputBytes = du(folder);
        r.put("input_bytes", inputBytes);

        // raw read first and right before ingest: both see the same (warm) page cache
        double catS = catAll(folder);
        r.put("raw_read_s", catS);
        r.put("raw_read_files_per_s", n / catS);
        r.put("raw_read_bytes_per_s", inputBytes / catS);
        System.err.printf(Locale.ROOT, "bench ingest: raw read of %d files (%.1f MB) in %.1f s%n", n, inputBytes / 1e6, catS);

        PretextConfig cfg = dev.pretext.config.ConfigLoader.load(config.files(), config.sets);
        SparkSession spark = SparkSessions.getOrCreate(master, "pretext-bench-ingest");
        try {
            ImageFolderSettings s = IngestCommand.settings(cfg, folder.toString(), null);
            long t0 = System.nanoTime();
            IngestResult ing = ImageFolderIngest.run(spark, folder.toString(), work.resolve("small").toString(), s,
                    OnCorrupt.FAIL, false);
            double ingS = (System.nanoTime() - t0) / 1e9;
            r.put("ingest_s", ingS);
            r.put("ingest_images_per_s", ing.rows() / ingS);
            r.put("ingest_bytes_per_s", inputBytes / ingS);
            r.put("ingest_vs_raw_read", catS / ingS);
            r.put("table_bytes", du(work.resolve("small")));
            System.err.printf(Locale.ROOT, "bench ingest: %d images in %.1f s%n", ing.rows(), ingS);

            ImageFolderSettings ls = new ImageFolderSettings("large", ResizePolicy.shorter(256), ImageEncoder.jpeg(90),
                    s.maxPixels(), "", "train", 0, s.shardBytes(), s.rowGroupBytes(), s.filesPerTask(), s.tarBytesPerTask());
            long l0 = System.nanoTime();
            IngestResult li = ImageFolderIngest.run(spark, big.toString(), work.resolve("large").toString(), ls,
                    OnCorrupt.FAIL, false);
            double lS = (System.nanoTime() - l0) / 1e9;
            int slots = spark.sparkContext().defaultParallelism();
            r.put("large_images", li.rows());
            r.put("large_input_bytes", du(big));
            r.put("large_images_per_s", li.rows() / lS);
            r.put("large_ms_per_image_per_slot", 1000.0 * lS * slots / li.rows());
            r.put("spark_slots", slots);

            List<Map<String, Object>> groups = new ArrayList<>();
            for (String g : rowGroups.split(",")) {
                int mb = Integer.parseInt(g.trim());
                String dir = work.resolve("rg-" + mb).toString();
                spark.read().parquet(work.resolve("small").toString()).coalesce(1).write()
                        .option("parquet.block.size", Long.toString((long) mb << 20)).parquet(dir);
                long s0 = System.nanoTime();
                org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> t = spark.read().parquet(dir);
                int tasks = t.rdd().getNumPartitions();
                // images decoded per read task: a row group is never split, so big groups leave tasks empty
                List<Long> perTask = t.toJavaRDD().mapPartitions(it -> {
                    long k = 0;
                    while (it.hasNext()) {
                        dev.pretext.data.ImageRows.fromRow(it.next()).toRaw();
                        k++;
                    }
                    return List.of(k).iterator();
                }).collect();
                long decoded = perTask.stream().mapToLong(Long::longValue).sum();
                long busy = perTask.stream().filter(k -> k > 0).count();
                double scanS = (System.nanoTime() - s0) / 1e9;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("row_group_mb", mb);
                m.put("read_tasks", tasks);
                m.put("non_empty_read_tasks", busy);
                m.put("images_per_s", decoded / scanS);
                groups.add(m);
                System.err.printf(Locale.ROOT, "bench ingest: row groups %d MB: %d read tasks (%d with rows), %.0f images/s%n",
                        mb, tasks, busy, decoded / scanS);
            }
            r.put("row_groups", groups);
        } finally {
            spark.stop();
        }
        if (!keep) {
            deleteTree(work);
        }
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), r);
        System.out.println(table(r));
        System.out.println("json: " + out);
        return 0;
    }

    private static void makeFolder(Path folder, int n, int size, int threads) throws Exception {
        Path done = folder.resolve("_complete");
        if (Files.exists(done)) {
            return;
        }
        System.err.printf(Locale.ROOT, "bench ingest: writing %d synthetic %dx%d JPEGs to %s (once)%n", n, size, size, folder);
        deleteTree(folder);
        new SynthImageFolderWriter(5, size, ImageEncoder.jpeg(90)).write(folder, "train", n, threads);
        Files.write(done, new byte[0]);
    }

    private static void makeLargeFolder(Path folder, int n, int threads) throws Exception {
        Path done = folder.resolve("_complete");
        if (Files.exists(done) || n == 0) {
            return;
        }
        deleteTree(folder);
        // 500 x 375 is ImageNet's most common size; the renderer draws squares, so write 500 x 500 and
        // let the ingest's shorter:256 crop do the same work as on a 500 x 375 photo plus a little
        new SynthImageFolderWriter(6, 500, ImageEncoder.jpeg(90)).write(folder, "train", n, threads);
        Files.write(done, new byte[0]);
    }

    /** Seconds to cat every regular file under dir to /dev/null (find + xargs, as a person would). */
    static double catAll(Path dir) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("bash", "-c", "find \"$0\" -type f -print0 | xargs -0 -n 2000 cat > /dev/null",
                dir.toString()).inheritIO().start();
        if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0) {
            throw new IllegalStateException("raw read of " + dir + " failed");
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static long du(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static void deleteTree(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "image-folder ingest, %s images of %sx%s JPEG, %s, master %s%n%n",
                r.get("images"), r.get("size"), r.get("size"), r.get("machine"), r.get("master")));
        sb.append("| measure | images/s | MB/s |\n|---|---|---|\n");
        sb.append(String.format(Locale.ROOT, "| raw read (cat > /dev/null) | %.0f | %.1f |%n",
                r.get("raw_read_files_per_s"), ((Number) r.get("raw_read_bytes_per_s")).doubleValue() / 1e6));
        sb.append(String.format(Locale.ROOT, "| ingest (decode, re-encode q90, Parquet) | %.0f | %.1f |%n",
                r.get("ingest_images_per_s"), ((Number) r.get("ingest_bytes_per_s")).doubleValue() / 1e6));
        sb.append(String.format(Locale.ROOT, "| ingest / raw read | %.3f | |%n", r.get("ingest_vs_raw_read")));
        if (r.containsKey("large_images_per_s")) {
            sb.append(String.format(Locale.ROOT, "| 500x500 JPEG, shorter:256 (%s images) | %.0f | (%.1f ms per image per slot) |%n",
                    r.get("large_images"), r.get("large_images_per_s"), r.get("large_ms_per_image_per_slot")));
        }
        if (r.get("row_groups") instanceof List<?> gs) {
            sb.append(String.format(Locale.ROOT, "%nfull decode scan of the %.0f MB table, one file:%n%n", 
                    ((Number) r.get("table_bytes")).doubleValue() / 1e6));
            sb.append("| row group MB | read tasks (with rows) | images/s |\n|---|---|---|\n");
            for (Object o : gs) {
                Map<?, ?> m = (Map<?, ?>) o;
                sb.append(String.format(Locale.ROOT, "| %s | %s (%s) | %.0f |%n", m.get("row_group_mb"), m.get("read_tasks"),
                        m.get("non_empty_read_tasks"), ((Number) m.get("images_per_s")).doubleValue()));
            }
        }
        return sb.toString();
    }
}
