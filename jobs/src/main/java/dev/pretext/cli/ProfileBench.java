package dev.pretext.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImageRecord;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.method.PretextMethod;
import dev.pretext.method.ViewsBatchSource;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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
import java.util.concurrent.TimeUnit;

/**
 * {@code bench profile}: where one SimCLR training step spends its time, on one network outside
 * Spark (timed phases plus a JFR sample profile by phase and layer), under a Spark trainer (a JFR
 * profile of every thread), and in the PyTorch peer (its profiler), on the same model and batch.
 */
@Command(name = "profile",
        header = "profile one training step: phases and layers (JFR), a Spark trainer, and the PyTorch peer",
        description = """
                One network outside Spark (resnet18-cifar width 0.25, batch 128 by default), on seeded
                noise images (the cost of a step does not depend on the pixels): after --warmup steps,
                --steps minibatches are timed phase by phase: augmentation (the views), batch assembly
                (normalisation into the minibatch), forward (training mode), forward + backward
                (computeGradientAndScore), and the whole fit step (the updater and the rest is the
                difference); GC time from the JVM's collectors. A JFR recording of the fit steps is
                then split by phase and by DL4J layer class (StepProfile). Then (--trainer, default
                paramavg; none to skip) the same under a Spark trainer in local mode, with every
                thread's samples by phase: augmentation and assembly, fit, the worker network set-up
                of each averaging round, averaging, serialisation. Then the PyTorch peer's own step
                under torch.profiler (bench/peer_profile.py, when /usr/bin/python3 has torch).
                Writes DIR (default bench-out/profile-<time>/): profile.json, profile.md (the tables
                printed), the .jfr recordings (open them in JDK Mission Control) and peer.txt.
                """)
final class ProfileBench extends PretextCommand {
    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: bench-out/profile-<time>).")
    String outDir;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Timed steps per phase. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed steps first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--backbone", paramLabel = "B", defaultValue = "resnet18-cifar", description = "Default: ${DEFAULT-VALUE}.")
    String backbone;

    @Option(names = "--width", paramLabel = "W", defaultValue = "0.25", description = "Default: ${DEFAULT-VALUE}.")
    String width;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--trainer", paramLabel = "paramavg|shared|none", defaultValue = "paramavg",
            description = "The Spark trainer to profile as well. Default: ${DEFAULT-VALUE}.")
    String trainer;

    @Option(names = "--peer", paramLabel = "DIR", description = "The PyTorch peer's folder.")
    String peer;

    @Option(names = "--no-peer", description = "Do not profile the PyTorch peer.")
    boolean noPeer;

    @Option(names = "--compare-batch-norm", description = "Also time the fit step with DL4J's own batch norm and"
            + " ReLU layers against the fused layer (FusedBatchNorm), alternately on the same minibatches.")
    boolean compareBatchNorm;

    @Option(names = "--compare-convolution", description = "Also time the fit step with DL4J's own convolution layer"
            + " (which runs each forward convolution again in its backward) against LeanConvolution, alternately on the"
            + " same minibatches.")
    boolean compareConvolution;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || warmup < 0 || batch < 2) {
            throw new UserError("bench profile: need --steps >= 1, --warmup >= 0, --batch-size >= 2");
        }
        if (!List.of("paramavg", "shared", "none").contains(trainer)) {
            throw new UserError("bench profile: --trainer is paramavg, shared or none; got " + trainer);
        }
        List<String> sets = new ArrayList<>(List.of("model.backbone=" + backbone, "model.width=" + width,
                "train.batch-size=" + batch));
        sets.addAll(config.sets);
        PretextConfig cfg = ConfigLoader.load(config.files(), sets);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path out = Path.of(outDir != null ? outDir : "bench-out/profile-" + stamp).toAbsolutePath();
        Files.createDirectories(out);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("when", stamp);
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version"));
        result.put("acceleration", CpuAcceleration.enable().describe());
        result.put("nd4j_threads", Nd4j.getEnvironment().maxMasterThreads());
        result.put("method", cfg.methodName);
        result.put("backbone", cfg.backbone);
        result.put("width", cfg.width);
        result.put("batch_size", batch);
        result.put("optimizer", cfg.optimizer);
        result.put("steps", steps);
        result.put("warmup", warmup);
        result.put("sample_period_ms", StepProfile.PERIOD.toMillis());

        PretextMethod method = cfg.method();
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int total = warmup + steps;
        List<List<ViewsBatchSource.Example>> batches = SingleNetworkSteps.noiseBatches(total, batch);
        System.err.printf(Locale.ROOT, "bench profile: %s, %s width %s, batch %d, %d warm-up + %d timed steps%n",
                cfg.methodName, cfg.backbone, cfg.width, batch, warmup, steps);

        // 1. augmentation alone, then augmentation + assembly, per minibatch
        SingleNetworkSteps.Assembled assembled = SingleNetworkSteps.assemble(batches, warmup, cfg, method, aug);
        List<MultiDataSet> mds = assembled.minibatches();
        double augMs = assembled.augmentationMs();
        double asmMs = assembled.batchAssemblyMs();

        ComputationGraph net = PretrainStage.buildNet(cfg, method, 32, 32, 1000, 0);
        SingleNetworkSteps.fit(net, mds, 0, warmup);
        // 2. forward only (training mode)
        long fwdNs = 0;
        for (int s = warmup; s < total; s++) {
            long t0 = System.nanoTime();
            net.feedForward(mds.get(s).getFeatures(), true, true);
            fwdNs += System.nanoTime() - t0;
            net.clear();
        }
        // 3. forward + backward
        long fbNs = 0;
        for (int s = warmup; s < total; s++) {
            long t0 = System.nanoTime();
            net.setInputs(mds.get(s).getFeatures());
            net.setLabels(mds.get(s).getLabels());
            net.computeGradientAndScore();
            fbNs += System.nanoTime() - t0;
            net.clear();
        }
        // 4. the whole fit step: timed without a recording (JFR's native stack sampling slows the
        //    step measurably), then the same steps again under JFR for the breakdown
        long gc0 = gcMillis();
        long fitNs = SingleNetworkSteps.fit(net, mds, warmup, total);
        long gcMs = gcMillis() - gc0;
        String thread = Thread.currentThread().getName();
        StepProfile rec = StepProfile.start();
        long recordedNs = SingleNetworkSteps.fit(net, mds, warmup, total);
        Path jfr = rec.stop(out.resolve("single-network.jfr"));
        double fwdMs = fwdNs / 1e6 / steps;
        double fbMs = fbNs / 1e6 / steps;
        double fitMs = fitNs / 1e6 / steps;
        Map<String, Object> phases = new LinkedHashMap<>();
        phases.put("augmentation_ms", augMs);
        phases.put("batch_assembly_ms", asmMs);
        phases.put("forward_ms", fwdMs);
        phases.put("backward_ms", Math.max(0, fbMs - fwdMs));
        phases.put("updater_and_rest_ms", Math.max(0, fitMs - fbMs));
        phases.put("fit_step_ms", fitMs);
        phases.put("gc_ms_per_step", gcMs / (double) steps);
        phases.put("step_ms", augMs + asmMs + fitMs);
        phases.put("source_images_per_s", batch / ((augMs + asmMs + fitMs) / 1000));
        phases.put("source_images_per_s_fit_only", batch / (fitMs / 1000));
        Map<String, Object> single = new LinkedHashMap<>();
        single.put("timed", phases);
        StepProfile.Tally tally = StepProfile.tally(jfr, thread::equals);
        single.put("jfr", jfr.toString());
        single.put("samples", tally.samples);
        single.put("fit_step_ms_under_jfr", recordedNs / 1e6 / steps);
        single.put("by_phase", withMs(tally.phases(), recordedNs / 1e6 / steps));
        single.put("by_leaf", tally.leaves(15));
        result.put("single_network", single);
        System.err.printf(Locale.ROOT, "bench profile: single network: %.1f ms/step = %.1f source images/s (fit %.1f ms)%n",
                augMs + asmMs + fitMs, batch / ((augMs + asmMs + fitMs) / 1000), fitMs);

        if (compareBatchNorm) {
            result.put("batch_norm_comparison", compareBuilds(cfg, method, mds.subList(warmup, total),
                    dev.pretext.nn.FusedBatchNorm.PROPERTY, "fused", "dl4j", "fused batch norm + ReLU",
                    "DL4J's BatchNormalization + ActivationLayer"));
        }
        if (compareConvolution) {
            result.put("convolution_comparison", compareBuilds(cfg, method, mds.subList(warmup, total),
                    dev.pretext.nn.LeanConvolution.PROPERTY, "lean", "dl4j", "LeanConvolution",
                    "DL4J's ConvolutionLayer"));
        }
        if (!trainer.equals("none")) {
            result.put("trainer", profileTrainer(cfg, method, out, batches));
        }
        if (!noPeer) {
            result.put("peer", profilePeer(peer, out, cfg, batch, steps, warmup));
        }
        String md = table(result);
        Files.writeString(out.resolve("profile.md"), md);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("profile.json").toFile(), result);
        System.out.println(md);
        System.out.println("written: " + out);
        return 0;
    }

    /**
     * The fit step of the same network built twice, with the system property {@code prop} set to
     * {@code ours} and to {@code theirs} while it is built (FusedBatchNorm or LeanConvolution against
     * DL4J's layers), timed alternately (3 rounds) on the same minibatches so that other load on the
     * machine hits both alike.
     */
    private static Map<String, Object> compareBuilds(PretextConfig cfg, PretextMethod method, List<MultiDataSet> mds,
                                                     String prop, String ours, String theirs, String oursName,
                                                     String theirsName) {
        String before = System.getProperty(prop);
        ComputationGraph a;
        ComputationGraph b;
        try {
            System.setProperty(prop, ours);
            a = PretrainStage.buildNet(cfg, method, 32, 32, 1000, 0);
            System.setProperty(prop, theirs);
            b = PretrainStage.buildNet(cfg, method, 32, 32, 1000, 0);
        } finally {
            if (before == null) {
                System.clearProperty(prop);
            } else {
                System.setProperty(prop, before);
            }
        }
        a.fit(mds.get(0));
        b.fit(mds.get(0));
        long aNs = 0;
        long bNs = 0;
        int n = 0;
        for (int round = 0; round < 3; round++) {
            for (MultiDataSet m : mds) {
                long t0 = System.nanoTime();
                a.fit(m);
                long t1 = System.nanoTime();
                b.fit(m);
                long t2 = System.nanoTime();
                aNs += t1 - t0;
                bNs += t2 - t1;
                n++;
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ours", oursName);
        r.put("theirs", theirsName);
        r.put("steps_each", n);
        r.put("ours_ms_per_step", aNs / 1e6 / n);
        r.put("theirs_ms_per_step", bNs / 1e6 / n);
        r.put("speedup", bNs / (double) aNs);
        System.err.printf(Locale.ROOT, "bench profile: fit step, %s %.1f ms, %s %.1f ms (%.2fx), %d steps each,"
                + " alternately%n", oursName, aNs / 1e6 / n, theirsName, bNs / 1e6 / n, bNs / (double) aNs, n);
        return r;
    }

    /** The trainer in local mode (config's workers and averaging frequency), every thread under JFR. */
    private Map<String, Object> profileTrainer(PretextConfig cfg, PretextMethod method, Path out,
                                               List<List<ViewsBatchSource.Example>> batches) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        int workers = cfg.workers;
        int per = cfg.averagingFrequency;
        int rounds = Math.max(1, (int) Math.ceil(steps / (double) per));
        List<ImageRecord> images = new ArrayList<>();
        int need = (workers + rounds * per * workers) * batch;
        for (int i = 0; i < need; i++) {
            images.add(batches.get(i / batch % batches.size()).get(i % batch).image());
        }
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-bench-profile");
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
            JavaRDD<ImageRecord> warmRdd = jsc.parallelize(images.subList(0, workers * batch), workers);
            JavaRDD<ImageRecord> timedRdd = jsc.parallelize(images.subList(workers * batch, need), workers);
            ComputationGraph net = PretrainStage.buildNet(cfg, method, 32, 32, 1000, 0);
            TrainerSettings settings = PretrainStage.trainerSettings(cfg, method, aug);
            try (DistributedTrainer t = DistributedTrainers.create(trainer, settings, jsc)) {
                t.fitEpochChunk(net, new ViewsBatchSource(warmRdd, batch, aug, cfg.mean, cfg.std, cfg.seed, method).epoch(0));
                ViewsBatchSource src = new ViewsBatchSource(timedRdd, batch, aug, cfg.mean, cfg.std, cfg.seed, method);
                long gc0 = gcMillis();
                StepProfile rec = StepProfile.start();
                long t0 = System.nanoTime();
                long fitted = t.fitEpochChunk(net, src.epoch(0));
                double s = (System.nanoTime() - t0) / 1e9;
                Path jfr = rec.stop(out.resolve(trainer + ".jfr"));
                r.put("trainer", trainer);
                r.put("workers", workers);
                r.put("averaging_frequency", per);
                r.put("minibatches", fitted);
                r.put("seconds", s);
                r.put("source_images_per_s", fitted * batch / s);
                r.put("gc_ms", gcMillis() - gc0);
                StepProfile.Tally all = StepProfile.tally(jfr, n -> true);
                StepProfile.Tally tasks = StepProfile.tally(jfr, n -> n.startsWith("Executor task launch"));
                r.put("jfr", jfr.toString());
                r.put("busy_seconds_all_threads", all.samples * StepProfile.PERIOD.toMillis() / 1000.0);
                r.put("busy_seconds_task_threads", tasks.samples * StepProfile.PERIOD.toMillis() / 1000.0);
                r.put("by_phase_all_threads", all.phases());
                r.put("by_leaf_all_threads", all.leaves(10));
                System.err.printf(Locale.ROOT, "bench profile: %s: %d minibatches in %.1f s = %.1f source images/s%n",
                        trainer, fitted, s, fitted * batch / s);
            }
        } finally {
            spark.stop();
        }
        return r;
    }

    /** bench/peer_profile.py: the peer's step under torch.profiler, on noise images of the same shape. */
    private static Map<String, Object> profilePeer(String peerDir, Path out, PretextConfig cfg, int batch, int steps,
                                                   int warmup) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        String home = System.getenv().getOrDefault("PRETEXT_HOME", ".");
        String dir = peerDir != null ? peerDir : System.getenv().getOrDefault("PRETEXT_PEER_DIR", home + "/../shared/peers");
        File script = new File(home, "bench/peer_profile.py");
        File python = new File("/usr/bin/python3");
        if (!new File(dir, "simclr_peer.py").isFile() || !script.isFile() || !python.canExecute()) {
            r.put("status", "not found: " + dir + "/simclr_peer.py, " + script + " or /usr/bin/python3");
            return r;
        }
        Path json = out.resolve("peer.json");
        List<String> cmd = List.of(python.getPath(), script.getPath(), "--peer", dir, "--batch-size", String.valueOf(batch),
                "--width", String.valueOf(cfg.width), "--steps", String.valueOf(steps), "--warmup", String.valueOf(warmup),
                "--json", json.toString());
        System.err.println("bench profile: peer: " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder text = new StringBuilder();
        try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = br.readLine()) != null; ) {
                text.append(l).append('\n');
            }
        }
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        Files.writeString(out.resolve("peer.txt"), text);
        r.put("command", String.join(" ", cmd));
        if (p.exitValue() != 0 || !Files.isRegularFile(json)) {
            r.put("status", "failed (exit " + p.exitValue() + "; see peer.txt; is python3-torch installed?)");
            return r;
        }
        r.put("status", "ok");
        r.putAll(new ObjectMapper().readValue(json.toFile(), Map.class));
        return r;
    }

    private static Map<String, Map<String, Object>> withMs(Map<String, Map<String, Object>> phases, double stepMs) {
        for (Map<String, Object> row : phases.values()) {
            row.put("ms_per_step", ((Number) row.get("share")).doubleValue() * stepMs);
        }
        return phases;
    }

    private static long gcMillis() {
        long ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, b.getCollectionTime());
        }
        return ms;
    }

    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%s; %s; %s %s width %s, batch %s, %s; %s steps after %s warm-up%n%n",
                r.get("machine"), r.get("acceleration"), r.get("method"), r.get("backbone"), r.get("width"),
                r.get("batch_size"), r.get("optimizer"), r.get("steps"), r.get("warmup")));
        Map<String, Object> single = (Map<String, Object>) r.get("single_network");
        Map<String, Object> t = (Map<String, Object>) single.get("timed");
        Map<String, Object> peer = r.get("peer") instanceof Map<?, ?> m && "ok".equals(((Map<String, Object>) m).get("status"))
                ? (Map<String, Object>) m : null;
        Map<String, Object> pt = peer == null ? Map.of() : (Map<String, Object>) peer.get("timed");
        sb.append("One step, timed phase by phase (ms per step of ").append(r.get("batch_size")).append(" source images):\n\n");
        sb.append("| phase | Pretext, one network (DL4J) | PyTorch peer |\n|---|---|---|\n");
        String[][] rows = {{"augmentation", "augmentation_ms"}, {"batch assembly (normalise, copy)", "batch_assembly_ms"},
                {"forward", "forward_ms"}, {"backward", "backward_ms"}, {"updater and the rest", "updater_and_rest_ms"},
                {"whole step", "step_ms"}, {"GC (inside the fit steps)", "gc_ms_per_step"},
                {"source images/s", "source_images_per_s"}};
        for (String[] row : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", row[0], fmt(t.get(row[1])), fmt(pt.get(row[1]))));
        }
        sb.append("\nFit step by phase and layer (JFR samples of the training thread, ")
                .append(single.get("samples")).append(String.format(Locale.ROOT, " samples; the same steps again under the"
                        + " recording, %.1f ms per step, shares of that):%n%n| phase | share | ms per step |%n|---|---|---|%n",
                        ((Number) single.get("fit_step_ms_under_jfr")).doubleValue()));
        for (Map.Entry<String, Map<String, Object>> e : ((Map<String, Map<String, Object>>) single.get("by_phase")).entrySet()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.1f%% | %.1f |%n", e.getKey(),
                    100 * ((Number) e.getValue().get("share")).doubleValue(), ((Number) e.getValue().get("ms_per_step")).doubleValue()));
        }
        for (String key : List.of("batch_norm_comparison", "convolution_comparison")) {
            if (r.get(key) instanceof Map<?, ?> bm) {
                sb.append(String.format(Locale.ROOT, "%nFit step, alternately on the same minibatches (%s steps each): %s"
                                + " %.1f ms, %s %.1f ms: %.2fx%n", bm.get("steps_each"), bm.get("ours"),
                        ((Number) bm.get("ours_ms_per_step")).doubleValue(), bm.get("theirs"),
                        ((Number) bm.get("theirs_ms_per_step")).doubleValue(), ((Number) bm.get("speedup")).doubleValue()));
            }
        }
        if (r.get("trainer") instanceof Map<?, ?> tm) {
            Map<String, Object> tr = (Map<String, Object>) tm;
            sb.append(String.format(Locale.ROOT, "%n%s, %s worker(s), averaging every %s: %s minibatches in %.1f s = %.1f source"
                            + " images/s; busy time of all threads %.1f s (task threads %.1f s); GC %s ms%n%n",
                    tr.get("trainer"), tr.get("workers"), tr.get("averaging_frequency"), tr.get("minibatches"),
                    ((Number) tr.get("seconds")).doubleValue(), ((Number) tr.get("source_images_per_s")).doubleValue(),
                    ((Number) tr.get("busy_seconds_all_threads")).doubleValue(),
                    ((Number) tr.get("busy_seconds_task_threads")).doubleValue(), tr.get("gc_ms")));
            sb.append("| phase (all threads) | share of busy time |\n|---|---|\n");
            for (Map.Entry<String, Map<String, Object>> e : ((Map<String, Map<String, Object>>) tr.get("by_phase_all_threads")).entrySet()) {
                sb.append(String.format(Locale.ROOT, "| %s | %.1f%% |%n", e.getKey(),
                        100 * ((Number) e.getValue().get("share")).doubleValue()));
            }
        }
        if (peer != null && peer.get("top_ops") instanceof List<?> ops) {
            sb.append("\nPyTorch peer, top operators by self CPU time (torch.profiler):\n\n| operator | calls | self ms per step |\n|---|---|---|\n");
            for (Object o : ops) {
                Map<String, Object> op = (Map<String, Object>) o;
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f |%n", op.get("name"), op.get("calls"),
                        ((Number) op.get("self_ms_per_step")).doubleValue()));
            }
        } else if (r.get("peer") instanceof Map<?, ?> pm) {
            sb.append("\nPyTorch peer: ").append(pm.get("status")).append('\n');
        }
        return sb.toString();
    }

    private static String fmt(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.1f", n.doubleValue()) : "";
    }
}
