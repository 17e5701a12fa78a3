package dev.pretext.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.IngestJob;
import dev.pretext.data.IngestResult;
import dev.pretext.data.OnCorrupt;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.jobs.FeaturesStage;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.method.Methods;
import dev.pretext.method.PretextMethod;
import dev.pretext.method.ViewsBatchSource;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import dev.pretext.synth.SynthDatasetWriter;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench}: throughput on synthetic data (pre-training under both trainers, ingest, feature
 * extraction), and the PyTorch peer on the same files in the same command when it is installed.
 */
@Command(name = "bench",
        header = "measure pre-training, ingest, feature and descriptor throughput (and the PyTorch peer, side by side)",
        subcommands = {IngestBench.class, DescribeBench.class, ProfileBench.class},
        description = """
                On a fresh synthetic CIFAR-10-format dataset (default 4096 train images): ingest
                images/s; SimCLR pre-training source images/s (two views each, augmentation included)
                with resnet18-cifar width 0.25, batch 128, for each trainer (one warm-up minibatch per
                worker, then --batches timed minibatches, default 12); frozen-feature extraction
                images/s. When the PyTorch peer is found (--peer DIR, $PRETEXT_PEER_DIR, or
                ../shared/peers beside the repository) and /usr/bin/python3 has torch, it runs
                simclr_peer.py --bench on the same files with the same width and batch and the ratio
                is printed.
                Per method (--methods, default every registered one; paramavg, the same data and
                batch size in source images): source images/s and the ratio to SimCLR in the same run.
                Results: JSON to FILE (default bench-out/bench-<time>.json) and a table on stdout.
                """)
final class BenchCommand extends PretextCommand {
    @Option(names = "--out", paramLabel = "FILE", description = "The JSON (default: bench-out/bench-<time>.json).")
    String outFile;

    @Option(names = "--images", paramLabel = "N", defaultValue = "4096", description = "Synthetic training images. Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--batches", paramLabel = "N", defaultValue = "12", description = "Timed minibatches per trainer. Default: ${DEFAULT-VALUE}.")
    int batches;

    @Option(names = "--trainers", paramLabel = "paramavg,shared", defaultValue = "paramavg,shared", description = "The trainers to time.")
    String trainers;

    @Option(names = "--workers", paramLabel = "W", defaultValue = "2", description = "Trainer workers. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--backbone", paramLabel = "B", defaultValue = "resnet18-cifar", description = "Default: ${DEFAULT-VALUE}.")
    String backbone;

    @Option(names = "--width", paramLabel = "W", defaultValue = "0.25", description = "Default: ${DEFAULT-VALUE}.")
    String width;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--peer", paramLabel = "DIR", description = "The PyTorch peer's folder.")
    String peer;

    @Option(names = "--no-peer", description = "Do not run the PyTorch peer.")
    boolean noPeer;

    @Option(names = "--peer-seconds", paramLabel = "S", hidden = true, description = "Accepted for older scripts; unused.")
    String peerSeconds;

    @Option(names = "--methods", paramLabel = "simclr,byol,...|none", description = "Methods to time (default: every registered one).")
    String methodOption;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        boolean explicit = methodOption != null;
        String methodList = explicit ? methodOption : String.join(",", dev.pretext.method.Methods.names());
        List<String> methods = methodList.equals("none") ? List.of()
                : java.util.Arrays.stream(methodList.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
        methods.forEach(dev.pretext.method.Methods::entry);  // unknown names fail before any work
        List<String> sets = new ArrayList<>(List.of("model.backbone=" + backbone,
                "model.width=" + width, "train.batch-size=" + batch,
                "train.workers=" + workers, "data.shards=" + Math.max(1, workers)));
        sets.addAll(config.sets);
        PretextConfig cfg = dev.pretext.config.ConfigLoader.load(config.files(), sets);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path work = Path.of("bench-out", "work-" + stamp).toAbsolutePath();
        Path out = Path.of(outFile != null ? outFile : "bench-out/bench-" + stamp + ".json").toAbsolutePath();
        Files.createDirectories(work);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("when", stamp);
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version"));
        result.put("acceleration", CpuAcceleration.enable().describe());
        result.put("backbone", cfg.backbone);
        result.put("width", cfg.width);
        result.put("batch_size", batch);
        result.put("workers", cfg.workers);
        result.put("images", images);

        Path data = work.resolve("cifar10");
        new SynthDatasetWriter(11).write("cifar10", data, images, 1000, 0);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-bench");
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            long t0 = System.nanoTime();
            String table = work.resolve("images").toString();
            IngestResult ing = IngestJob.ingest(spark, "cifar10", data.toString(), table, cfg.dataShards, OnCorrupt.FAIL, false);
            double ingestS = (System.nanoTime() - t0) / 1e9;
            result.put("ingest_images_per_s", ing.rows() / ingestS);
            System.err.printf(Locale.ROOT, "bench: ingest %d images in %.1f s%n", ing.rows(), ingestS);

            PretextMethod method = cfg.method();
            JavaRDD<ImageRecord> imgs = PretrainStage.pretrainImages(spark, cfg, table);
            AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
            ViewsBatchSource source = new ViewsBatchSource(imgs, batch, aug, cfg.mean, cfg.std, cfg.seed, method);
            Map<String, Object> train = new LinkedHashMap<>();
            for (String trainer : trainers.split(",")) {
                train.put(trainer.trim(), benchTrainer(jsc, cfg, method, source, trainer.trim(), batches));
            }
            result.put("pretrain", train);

            // Per method, under paramavg: what a target network, K views or a predictor cost.
            Map<String, Object> perMethod = new LinkedHashMap<>();
            for (String m : methods) {
                List<String> ms = new ArrayList<>(sets);
                ms.add("method.name=" + m);
                ms.add("train.workers=1");
                PretextConfig mc = dev.pretext.config.ConfigLoader.load(config.files(), ms);
                PretextMethod pm = mc.method();
                dev.pretext.train.BatchSource src;
                if (m.equals(dev.pretext.method.MvMr.DISTILL) && !explicit
                        && String.valueOf(mc.methodParams.asMap().getOrDefault("teacher", "")).isBlank()) {
                    System.err.println("bench: distill skipped: it needs a teacher (--methods distill --set"
                            + " method.distill.teacher=RUN)");
                    continue;
                }
                if (pm instanceof dev.pretext.method.PatchMethod patch) {
                    src = new dev.pretext.method.PatchBatchSource(imgs, batch, PretrainStage.augmentSpec(mc, 32),
                            mc.mean, mc.std, mc.seed, patch);
                } else if (!pm.representations().isEmpty()) {
                    // the descriptors of the bench images, computed once per method (not timed as training)
                    dev.pretext.jobs.DescribeStage.Table t = dev.pretext.jobs.DescribeStage.forMethod(spark, mc, pm,
                            table, dev.pretext.data.FsDir.local(work.resolve("run-" + m)));
                    pm = pm.withRepresentationWidths(t.widths());
                    src = ViewsBatchSource.withRepresentations(dev.pretext.method.RepresentationJoin.join(spark, imgs,
                            t.dir(), t.columns()), batch, PretrainStage.augmentSpec(mc, 32), mc.mean, mc.std, mc.seed, pm);
                } else {
                    src = new ViewsBatchSource(imgs, batch, PretrainStage.augmentSpec(mc, 32), mc.mean, mc.std, mc.seed,
                            pm);
                }
                Map<String, Object> row = benchTrainer(jsc, mc, pm, src, "paramavg", Math.max(4, batches / 2));
                row.put("views", pm.rowsPerImage(PretrainStage.augmentSpec(mc, 32)));
                perMethod.put(m, row);
            }
            if (!perMethod.isEmpty()) {
                Object simclr = perMethod.get("simclr");
                for (Object row : perMethod.values()) {
                    Map<String, Object> r = (Map<String, Object>) row;
                    if (simclr instanceof Map<?, ?> sm) {
                        r.put("ratio_to_simclr", ((Number) r.get("source_images_per_s")).doubleValue()
                                / ((Number) sm.get("source_images_per_s")).doubleValue());
                    }
                }
                result.put("methods", perMethod);
            }

            ComputationGraph net = FeaturesStage.randomInit(cfg, 32, 32);
            Dataset<Row> labelled = FeaturesStage.labelled(spark, table, cfg.testSplit).cache();
            labelled.count();
            long f0 = System.nanoTime();
            long rows = FeaturesStage.write(spark, "bench", labelled, net, cfg, work.resolve("features").toString(), false);
            result.put("features_images_per_s", rows / ((System.nanoTime() - f0) / 1e9));
        } finally {
            spark.stop();
        }

        if (!noPeer) {
            result.put("peer", runPeer(peer, data, cfg, batch));
        }
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println(table(result));
        System.out.println("json: " + out);
        return 0;
    }

    private static Map<String, Object> benchTrainer(JavaSparkContext jsc, PretextConfig cfg, PretextMethod method,
                                                    dev.pretext.train.BatchSource source, String trainer, int batches) {
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int[] size = method.inputSize(aug, 32, 32);
        ComputationGraph net = PretrainStage.buildNet(cfg, method, size[0], size[1], 1000, 0);
        TrainerSettings settings = TrainerSettings.of(cfg.workers, method.rowsPerImage(aug) * cfg.batchSize)
                .withAveragingFrequency(cfg.averagingFrequency).withSeed(cfg.seed).withHooks(method.stepHooks());
        Map<String, Object> r = new LinkedHashMap<>();
        try (DistributedTrainer t = DistributedTrainers.create(trainer, settings, jsc)) {
            List<MultiDataSet> all = source.epoch(0).take(batches + cfg.workers);
            List<MultiDataSet> warm = all.subList(0, Math.min(cfg.workers, all.size()));
            List<MultiDataSet> timed = all.subList(warm.size(), all.size());
            t.fitEpochChunk(net, jsc.parallelize(warm, cfg.workers));
            long t0 = System.nanoTime();
            long fitted = t.fitEpochChunk(net, jsc.parallelize(timed, cfg.workers));
            double s = (System.nanoTime() - t0) / 1e9;
            r.put("minibatches", fitted);
            r.put("seconds", s);
            r.put("source_images_per_s", fitted * cfg.batchSize / s);
            System.err.printf(Locale.ROOT, "bench: %s: %d minibatches of %d source images in %.1f s = %.1f source images/s%n",
                    trainer, fitted, cfg.batchSize, s, fitted * cfg.batchSize / s);
        } catch (Exception e) {
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new RuntimeException(e);
        }
        return r;
    }

    /** Runs the PyTorch peer's --bench on the same files, when it is installed. */
    private static Map<String, Object> runPeer(String peerDir, Path data, PretextConfig cfg, int batch) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        // beside the repository ($PRETEXT_HOME, set by bin/pretext), not the working directory
        String home = System.getenv().getOrDefault("PRETEXT_HOME", ".");
        String dir = peerDir != null ? peerDir : System.getenv().getOrDefault("PRETEXT_PEER_DIR", home + "/../shared/peers");
        File script = new File(dir, "simclr_peer.py");
        File python = new File("/usr/bin/python3");
        if (!script.isFile() || !python.canExecute()) {
            r.put("status", "not found: " + script + " with /usr/bin/python3");
            return r;
        }
        List<String> cmd = List.of(python.getPath(), script.getPath(), data.toString(), "--bench", "--batch-size",
                String.valueOf(batch), "--width", String.valueOf(cfg.width));
        System.err.println("bench: peer: " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = null;
        try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = br.readLine()) != null; ) {
                if (l.startsWith("images_per_s=")) {
                    line = l;
                }
            }
        }
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        r.put("command", String.join(" ", cmd));
        if (p.exitValue() != 0 || line == null) {
            r.put("status", "failed (exit " + p.exitValue() + "; is python3-torch installed?)");
            return r;
        }
        r.put("status", "ok");
        r.put("source_images_per_s", Double.parseDouble(line.substring("images_per_s=".length()).trim()));
        return r;
    }

    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        Object peer = r.get("peer") instanceof Map<?, ?> m ? ((Map<String, Object>) m).get("source_images_per_s") : null;
        sb.append(String.format(Locale.ROOT, "%n%s, %s width %s, batch %s, %s workers%n", r.get("machine"),
                r.get("backbone"), r.get("width"), r.get("batch_size"), r.get("workers")));
        sb.append("| measurement | images/s | vs PyTorch peer |\n|---|---|---|\n");
        Map<String, Object> train = (Map<String, Object>) r.get("pretrain");
        for (Map.Entry<String, Object> e : train.entrySet()) {
            double v = ((Number) ((Map<String, Object>) e.getValue()).get("source_images_per_s")).doubleValue();
            sb.append(String.format(Locale.ROOT, "| SimCLR pre-training, %s (source images/s) | %.1f | %s |%n", e.getKey(), v,
                    peer instanceof Number n ? String.format(Locale.ROOT, "%.2fx", v / n.doubleValue()) : "peer not run"));
        }
        if (peer instanceof Number n) {
            sb.append(String.format(Locale.ROOT, "| PyTorch peer SimCLR (source images/s) | %.1f | 1.00x |%n", n.doubleValue()));
        }
        if (r.get("methods") instanceof Map<?, ?> methods) {
            for (Map.Entry<?, ?> e : methods.entrySet()) {
                Map<String, Object> m = (Map<String, Object>) e.getValue();
                Object ratio = m.get("ratio_to_simclr");
                sb.append(String.format(Locale.ROOT, "| %s pre-training, paramavg x1, %s views (source images/s) | %.1f | %s |%n",
                        e.getKey(), m.get("views"), ((Number) m.get("source_images_per_s")).doubleValue(),
                        ratio instanceof Number x ? String.format(Locale.ROOT, "%.2fx SimCLR", x.doubleValue()) : ""));
            }
        }
        sb.append(String.format(Locale.ROOT, "| ingest (CIFAR-10 binary to Parquet) | %.0f | |%n", r.get("ingest_images_per_s")));
        sb.append(String.format(Locale.ROOT, "| frozen features (inference) | %.0f | |%n", r.get("features_images_per_s")));
        return sb.toString();
    }
}
