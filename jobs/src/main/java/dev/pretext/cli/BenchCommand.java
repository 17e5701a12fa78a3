package dev.pretext.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
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
import dev.pretext.train.TrainingRun;
import org.bytedeco.javacpp.Pointer;
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
 * {@code bench}: throughput on synthetic data (pre-training under both trainers in the steady state
 * a run sees, one network outside Spark, ingest, feature extraction) with the memory each took, and
 * the PyTorch peer on the same files in the same command when it is installed.
 */
@Command(name = "bench",
        header = "measure pre-training, ingest, feature and descriptor throughput (and the PyTorch peer, side by side)",
        subcommands = {IngestBench.class, DescribeBench.class, ProfileBench.class, MemoryBench.class},
        description = """
                On a fresh synthetic CIFAR-10-format dataset: ingest images/s; SimCLR pre-training
                source images/s (two views each, augmentation included) with resnet18-cifar width
                0.25, batch 128, for each trainer, in the steady state a run sees: the config's
                train.workers (1; --workers overrides) and train.averaging-frequency (40), the
                minibatches made on the executors from the epoch RDD of ViewsBatchSource and fitted a
                chunk (a contiguous range of its partitions) at a time, as a run fits them. First a
                warm-up chunk of one averaging round (workers x averaging-frequency minibatches, not
                timed), then a timed chunk of --rounds rounds (default 2). --images (default: as many
                as that needs) is raised to what it needs when smaller, with a note. Then one network
                outside Spark on minibatches of the same images: 3 warm-up steps, then 20 timed
                (augmentation, assembly and net.fit). Then frozen-feature extraction images/s.
                Memory: the peaks of the heap and of JavaCPP's physicalBytes (resident memory) and
                totalBytes, sampled every 200 ms during each measurement, and the JVM's peak resident
                memory (VmHWM) at the end; in local mode the Spark executors run inside this JVM, so
                these include them.
                When the PyTorch peer is found (--peer DIR, $PRETEXT_PEER_DIR, or ../shared/peers
                beside the repository) and /usr/bin/python3 has torch, it runs simclr_peer.py --bench
                on the same files with the same width and batch, and the trainers' and the one
                network's ratios to it are printed.
                Per method (--methods, default every registered one; paramavg with one worker, the
                same data and batch size in source images): a quick comparison, not the steady state:
                one warm-up minibatch, then max(4, --batches / 2) timed minibatches; source images/s
                and the ratio to SimCLR in the same run.
                Results: JSON to FILE (default bench-out/bench-<time>.json) and a table on stdout.
                """)
final class BenchCommand extends PretextCommand {
    /** The one network outside Spark: untimed steps, then timed steps (bench profile's defaults). */
    static final int SINGLE_WARMUP = 3;
    static final int SINGLE_STEPS = 20;

    @Option(names = "--out", paramLabel = "FILE", description = "The JSON (default: bench-out/bench-<time>.json).")
    String outFile;

    @Option(names = "--images", paramLabel = "N", description = "Synthetic training images (default: as many as the"
            + " warm-up round and the timed rounds need; fewer are raised to that).")
    Integer images;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "2", description = "Timed averaging rounds per trainer,"
            + " after one warm-up round. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--batches", paramLabel = "N", defaultValue = "12", description = "Per-method rows: max(4, N / 2)"
            + " timed minibatches each. Default: ${DEFAULT-VALUE}.")
    int batches;

    @Option(names = "--trainers", paramLabel = "paramavg,shared", defaultValue = "paramavg,shared", description = "The trainers to time.")
    String trainers;

    @Option(names = "--workers", paramLabel = "W", description = "Trainer workers (default: train.workers of the config, 1).")
    Integer workers;

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
        if (rounds < 1 || batch < 2 || batches < 1 || (images != null && images < 1) || (workers != null && workers < 1)) {
            throw new UserError("bench: need --rounds >= 1, --batch-size >= 2, --batches >= 1, --images >= 1,"
                    + " --workers >= 1");
        }
        boolean explicit = methodOption != null;
        String methodList = explicit ? methodOption : String.join(",", dev.pretext.method.Methods.names());
        List<String> methods = methodList.equals("none") ? List.of()
                : java.util.Arrays.stream(methodList.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
        methods.forEach(dev.pretext.method.Methods::entry);  // unknown names fail before any work
        // one chunk per averaging round, each of the config's workers: pretrainImages cuts the images
        // into chunks-per-epoch x workers partitions, as for a run
        List<String> sets = new ArrayList<>(List.of("model.backbone=" + backbone,
                "model.width=" + width, "train.batch-size=" + batch, "train.chunks-per-epoch=" + (1 + rounds)));
        if (workers != null) {
            sets.add("train.workers=" + workers);
        }
        sets.addAll(config.sets);
        PretextConfig cfg = dev.pretext.config.ConfigLoader.load(config.files(), sets);
        int need = imagesNeeded(cfg.workers, cfg.averagingFrequency, rounds, cfg.batchSize);
        int n = images == null ? need : Math.max(images, need);
        if (images != null && images < need) {
            System.err.printf(Locale.ROOT, "bench: --images %d is too few for a warm-up round and %d timed rounds of"
                            + " %d worker(s) x %d minibatches of %d; using %d images%n",
                    images, rounds, cfg.workers, cfg.averagingFrequency, cfg.batchSize, n);
        }
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
        result.put("batch_size", cfg.batchSize);
        result.put("workers", cfg.workers);
        result.put("averaging_frequency", cfg.averagingFrequency);
        result.put("rounds", rounds);
        result.put("warmup_minibatches_planned", cfg.workers * cfg.averagingFrequency);
        result.put("timed_minibatches_planned", rounds * cfg.workers * cfg.averagingFrequency);
        result.put("single_network_steps", SINGLE_STEPS);
        result.put("single_network_warmup_steps", SINGLE_WARMUP);
        result.put("images", n);
        if (images != null) {
            result.put("images_requested", images);
        }

        Path data = work.resolve("cifar10");
        new SynthDatasetWriter(11).write("cifar10", data, n, 1000, 0);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-bench");
        boolean local;
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            local = jsc.master().startsWith("local");
            result.put("spark_master", jsc.master());
            result.put("executors_in_driver_jvm", local);
            long t0 = System.nanoTime();
            String table = work.resolve("images").toString();
            IngestResult ing = IngestJob.ingest(spark, "cifar10", data.toString(), table, cfg.dataShards, OnCorrupt.FAIL, false);
            double ingestS = (System.nanoTime() - t0) / 1e9;
            result.put("ingest_images_per_s", ing.rows() / ingestS);
            System.err.printf(Locale.ROOT, "bench: ingest %d images in %.1f s%n", ing.rows(), ingestS);

            PretextMethod method = cfg.method();
            JavaRDD<ImageRecord> imgs = PretrainStage.pretrainImages(spark, cfg, table);
            int parts = (1 + rounds) * cfg.workers;
            if (imgs.getNumPartitions() != parts) {
                imgs = imgs.repartition(parts);   // a table read into more partitions than a round's layout
            }
            AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
            ViewsBatchSource source = new ViewsBatchSource(imgs, cfg.batchSize, aug, cfg.mean, cfg.std, cfg.seed, method);
            Map<String, Object> train = new LinkedHashMap<>();
            for (String trainer : trainers.split(",")) {
                train.put(trainer.trim(), benchTrainer(jsc, cfg, method, source, trainer.trim()));
            }
            result.put("pretrain", train);
            result.put("single_network", singleNetwork(cfg, method, imgs.take((SINGLE_WARMUP + SINGLE_STEPS) * cfg.batchSize)));

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
                    src = new dev.pretext.method.PatchBatchSource(imgs, mc.batchSize, PretrainStage.augmentSpec(mc, 32),
                            mc.mean, mc.std, mc.seed, patch);
                } else if (!pm.representations().isEmpty()) {
                    // the descriptors of the bench images, computed once per method (not timed as training)
                    dev.pretext.jobs.DescribeStage.Table t = dev.pretext.jobs.DescribeStage.forMethod(spark, mc, pm,
                            table, dev.pretext.data.FsDir.local(work.resolve("run-" + m)));
                    pm = pm.withRepresentationWidths(t.widths());
                    src = ViewsBatchSource.withRepresentations(dev.pretext.method.RepresentationJoin.join(spark, imgs,
                            t.dir(), t.columns()), mc.batchSize, PretrainStage.augmentSpec(mc, 32), mc.mean, mc.std,
                            mc.seed, pm);
                } else {
                    src = new ViewsBatchSource(imgs, mc.batchSize, PretrainStage.augmentSpec(mc, 32), mc.mean, mc.std,
                            mc.seed, pm);
                }
                Map<String, Object> row = quickTrainer(jsc, mc, pm, src, "paramavg", Math.max(4, batches / 2));
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
        Map<String, Object> memory = new LinkedHashMap<>();
        MemoryPeaks.vmHwmBytes().ifPresent(b -> memory.put("vmhwm_bytes", b));
        memory.put("javacpp_max_physical_bytes", Pointer.maxPhysicalBytes());
        memory.put("javacpp_max_bytes", Pointer.maxBytes());
        memory.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
        memory.put("executors_in_driver_jvm", local);
        memory.put("note", local ? "Spark local mode: the executors run inside this JVM, so its memory includes theirs"
                : "the driver JVM only; the executors' memory is not measured here");
        result.put("peak_memory", memory);

        if (!noPeer) {
            result.put("peer", runPeer(peer, data, cfg, cfg.batchSize));
        }
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println(table(result));
        System.out.println("json: " + out);
        return 0;
    }

    /**
     * Synthetic images for a warm-up round and {@code rounds} timed rounds: (1 + rounds) x workers
     * partitions of {@code averagingFrequency} minibatches each, plus a margin per partition (Spark's
     * repartition leaves partitions a few images apart, and each drops its incomplete last
     * minibatch). The margin stays under a tenth of a partition, or ViewsBatchSource would respread
     * the images over fewer partitions.
     */
    static int imagesNeeded(int workers, int averagingFrequency, int rounds, int batch) {
        long margin = Math.min(batch / 2, (long) averagingFrequency * batch / 10);
        long n = (1L + rounds) * workers * ((long) averagingFrequency * batch + margin);
        if (n > Integer.MAX_VALUE) {
            throw new UserError("bench: " + rounds + " rounds of " + workers + " worker(s) x " + averagingFrequency
                    + " minibatches of " + batch + " need more than " + Integer.MAX_VALUE + " images");
        }
        return (int) n;
    }

    /**
     * One trainer fed as a run feeds it: a fresh network; the first {@code workers} partitions of the
     * epoch RDD as a warm-up chunk (one averaging round), then the rest as the timed chunk.
     */
    private static Map<String, Object> benchTrainer(JavaSparkContext jsc, PretextConfig cfg, PretextMethod method,
                                                    ViewsBatchSource source, String trainer) {
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int[] size = method.inputSize(aug, 32, 32);
        ComputationGraph net = PretrainStage.buildNet(cfg, method, size[0], size[1], 1000, 0);
        JavaRDD<MultiDataSet> epoch = source.epoch(0);
        int parts = epoch.getNumPartitions();
        int round = cfg.workers * cfg.averagingFrequency;
        Map<String, Object> r = new LinkedHashMap<>();
        try (DistributedTrainer t = DistributedTrainers.create(trainer, PretrainStage.trainerSettings(cfg, method, aug), jsc);
             MemoryPeaks peaks = MemoryPeaks.start()) {
            long w0 = System.nanoTime();
            long warm = t.fitEpochChunk(net, TrainingRun.partitions(epoch, 0, cfg.workers));
            double warmS = (System.nanoTime() - w0) / 1e9;
            long t0 = System.nanoTime();
            long fitted = t.fitEpochChunk(net, TrainingRun.partitions(epoch, cfg.workers, parts));
            double s = (System.nanoTime() - t0) / 1e9;
            r.put("warmup_minibatches", warm);
            r.put("warmup_seconds", warmS);
            r.put("minibatches", fitted);
            if (trainer.equals("paramavg")) {
                r.put("averaging_rounds", (fitted + round - 1) / round);
            }
            r.put("seconds", s);
            r.put("source_images_per_s", fitted * cfg.batchSize / s);
            r.put("memory", peaks.stop().toMap());
            System.err.printf(Locale.ROOT, "bench: %s: %d minibatches of %d source images in %.1f s = %.1f source images/s"
                            + " (after a warm-up chunk of %d in %.1f s)%n",
                    trainer, fitted, cfg.batchSize, s, fitted * cfg.batchSize / s, warm, warmS);
            if (warm != round || fitted != (long) (parts / cfg.workers - 1) * round) {
                System.err.printf(Locale.ROOT, "bench: note: %s fitted %d + %d minibatches where the layout planned"
                                + " %d + %d (more --images than it needs lengthen every chunk; partitions of uneven size"
                                + " can drop a minibatch)%n",
                        trainer, warm, fitted, round, (long) (parts / cfg.workers - 1) * round);
            }
        } catch (Exception e) {
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new RuntimeException(e);
        }
        return r;
    }

    /**
     * One network outside Spark on minibatches of {@code images} (used again from the first when
     * there are fewer than its steps need): augmentation, assembly and fit timed.
     */
    private static Map<String, Object> singleNetwork(PretextConfig cfg, PretextMethod method, List<ImageRecord> images) {
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int[] size = method.inputSize(aug, 32, 32);
        int need = (SINGLE_WARMUP + SINGLE_STEPS) * cfg.batchSize;
        List<ImageRecord> cycled = new ArrayList<>(need);
        for (int i = 0; i < need; i++) {
            cycled.add(images.get(i % images.size()));
        }
        List<List<ViewsBatchSource.Example>> batches = SingleNetworkSteps.batches(cycled, SINGLE_WARMUP + SINGLE_STEPS,
                cfg.batchSize);
        Map<String, Object> r = new LinkedHashMap<>();
        try (MemoryPeaks peaks = MemoryPeaks.start()) {
            SingleNetworkSteps.Assembled a = SingleNetworkSteps.assemble(batches, SINGLE_WARMUP, cfg, method, aug);
            ComputationGraph net = PretrainStage.buildNet(cfg, method, size[0], size[1], 1000, 0);
            SingleNetworkSteps.fit(net, a.minibatches(), 0, SINGLE_WARMUP);
            double fitMs = SingleNetworkSteps.fit(net, a.minibatches(), SINGLE_WARMUP, SINGLE_WARMUP + SINGLE_STEPS)
                    / 1e6 / SINGLE_STEPS;
            double stepMs = a.augmentationMs() + a.batchAssemblyMs() + fitMs;
            r.put("warmup_steps", SINGLE_WARMUP);
            r.put("steps", SINGLE_STEPS);
            r.put("augmentation_ms", a.augmentationMs());
            r.put("batch_assembly_ms", a.batchAssemblyMs());
            r.put("fit_step_ms", fitMs);
            r.put("step_ms", stepMs);
            r.put("source_images_per_s", cfg.batchSize / (stepMs / 1000));
            r.put("memory", peaks.stop().toMap());
            System.err.printf(Locale.ROOT, "bench: one network outside Spark: %.1f ms/step = %.1f source images/s"
                    + " (fit %.1f ms)%n", stepMs, cfg.batchSize / (stepMs / 1000), fitMs);
        }
        return r;
    }

    /**
     * A per-method row: a quick comparison, not the steady state (the first minibatches of the epoch
     * taken to the driver, one warm-up minibatch per worker, then {@code batches} timed in one chunk).
     */
    private static Map<String, Object> quickTrainer(JavaSparkContext jsc, PretextConfig cfg, PretextMethod method,
                                                    dev.pretext.train.BatchSource source, String trainer, int batches) {
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int[] size = method.inputSize(aug, 32, 32);
        ComputationGraph net = PretrainStage.buildNet(cfg, method, size[0], size[1], 1000, 0);
        Map<String, Object> r = new LinkedHashMap<>();
        try (DistributedTrainer t = DistributedTrainers.create(trainer, PretrainStage.trainerSettings(cfg, method, aug), jsc)) {
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
            System.err.printf(Locale.ROOT, "bench: %s %s: %d minibatches of %d source images in %.1f s = %.1f source images/s%n",
                    method.name(), trainer, fitted, cfg.batchSize, s, fitted * cfg.batchSize / s);
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
        boolean inDriver = Boolean.TRUE.equals(r.get("executors_in_driver_jvm"));
        sb.append(String.format(Locale.ROOT, "%n%s; %s width %s, batch %s; %s worker(s), averaging every %s minibatches;"
                        + " Spark %s%s%n", r.get("machine"), r.get("backbone"), r.get("width"), r.get("batch_size"),
                r.get("workers"), r.get("averaging_frequency"), r.getOrDefault("spark_master", "?"),
                inDriver ? " (the executors run inside the driver JVM)" : ""));
        sb.append(String.format(Locale.ROOT, "Pre-training fed as a run feeds it (the epoch RDD of ViewsBatchSource, a chunk"
                        + " = a contiguous range of its partitions): a warm-up chunk of one averaging round (%s minibatches,"
                        + " not timed), then a timed chunk of %s rounds (%s minibatches); %s synthetic images. One network"
                        + " outside Spark: %s warm-up steps, then %s timed (augmentation, assembly and fit). Peak memory:"
                        + " sampled every %d ms during that measurement (heap in use; resident memory, JavaCPP's"
                        + " physicalBytes).%n%n",
                r.get("warmup_minibatches_planned"), r.get("rounds"), r.get("timed_minibatches_planned"), r.get("images"),
                r.get("single_network_warmup_steps"), r.get("single_network_steps"), MemoryPeaks.PERIOD_MS));
        sb.append("| measurement | images/s | vs PyTorch peer | peak memory |\n|---|---|---|---|\n");
        Map<String, Object> train = r.get("pretrain") instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of();
        for (Map.Entry<String, Object> e : train.entrySet()) {
            sb.append(row(String.format(Locale.ROOT, "SimCLR pre-training, %s x%s (source images/s)", e.getKey(),
                    r.get("workers")), (Map<String, Object>) e.getValue(), peer));
        }
        if (r.get("single_network") instanceof Map<?, ?> single) {
            sb.append(row("SimCLR, one network outside Spark (source images/s)", (Map<String, Object>) single, peer));
        }
        if (peer instanceof Number n) {
            sb.append(String.format(Locale.ROOT, "| PyTorch peer SimCLR (source images/s) | %.1f | 1.00x | |%n", n.doubleValue()));
        }
        if (r.get("methods") instanceof Map<?, ?> methods) {
            for (Map.Entry<?, ?> e : methods.entrySet()) {
                Map<String, Object> m = (Map<String, Object>) e.getValue();
                Object ratio = m.get("ratio_to_simclr");
                sb.append(String.format(Locale.ROOT, "| %s pre-training, paramavg x1, %s views, quick (source images/s) | %.1f | %s | |%n",
                        e.getKey(), m.get("views"), ((Number) m.get("source_images_per_s")).doubleValue(),
                        ratio instanceof Number x ? String.format(Locale.ROOT, "%.2fx SimCLR", x.doubleValue()) : ""));
            }
        }
        if (r.get("ingest_images_per_s") instanceof Number n) {
            sb.append(String.format(Locale.ROOT, "| ingest (CIFAR-10 binary to Parquet) | %.0f | | |%n", n.doubleValue()));
        }
        if (r.get("features_images_per_s") instanceof Number n) {
            sb.append(String.format(Locale.ROOT, "| frozen features (inference) | %.0f | | |%n", n.doubleValue()));
        }
        if (r.get("peak_memory") instanceof Map<?, ?> mem) {
            sb.append(String.format(Locale.ROOT, "%nPeak resident memory of this JVM (VmHWM, the whole command): %s%s;"
                            + " limits: heap %s, JavaCPP maxphysicalbytes %s, maxbytes %s%n",
                    mem.get("vmhwm_bytes") == null ? "not available" : MemoryPeaks.size(mem.get("vmhwm_bytes")),
                    Boolean.TRUE.equals(mem.get("executors_in_driver_jvm")) ? ", driver and local executors together"
                            : ", the driver only",
                    MemoryPeaks.size(mem.get("heap_max_bytes")), MemoryPeaks.size(mem.get("javacpp_max_physical_bytes")),
                    MemoryPeaks.size(mem.get("javacpp_max_bytes"))));
        }
        return sb.toString();
    }

    /** A throughput row: images/s, the ratio to the peer, and the peaks of its measurement. */
    @SuppressWarnings("unchecked")
    private static String row(String label, Map<String, Object> m, Object peer) {
        double v = ((Number) m.get("source_images_per_s")).doubleValue();
        String mem = "";
        if (m.get("memory") instanceof Map<?, ?> p) {
            Map<String, Object> pk = (Map<String, Object>) p;
            mem = "heap " + MemoryPeaks.size(pk.get("heap_used_peak_bytes")) + ", resident "
                    + MemoryPeaks.size(pk.get("javacpp_physical_bytes_peak"));
        }
        return String.format(Locale.ROOT, "| %s | %.1f | %s | %s |%n", label, v,
                peer instanceof Number n ? String.format(Locale.ROOT, "%.2fx", v / n.doubleValue()) : "peer not run", mem);
    }
}
