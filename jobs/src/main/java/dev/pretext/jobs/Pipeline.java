package dev.pretext.jobs;

import dev.pretext.UserError;
import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.ViewsJob;
import dev.pretext.config.PretextConfig;
import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.IngestJob;
import dev.pretext.data.IngestResult;
import dev.pretext.data.Manifest;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.TableCommit;
import dev.pretext.eval.EvalReport;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.data.ImageEncoder;
import dev.pretext.data.imagefolder.ImageFolderIngest;
import dev.pretext.data.imagefolder.ImageFolderSettings;
import dev.pretext.synth.SynthDatasetWriter;
import dev.pretext.synth.SynthImageFolderWriter;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.RunSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pipeline}: ingest (or synthesise then ingest), augment (when materialised), pretrain,
 * features, probe, report: all into {@code runs/<run-id>/}. Re-running with the same run id
 * resumes: a stage whose output is complete is skipped, pre-training continues from its latest
 * complete checkpoint.
 */
public final class Pipeline {
    private final PretextConfig cfg;
    private final FsDir runDir;
    private Boolean created;
    /** Seconds per stage of this invocation, in order: {@code timings.*} in the report. */
    private final Map<String, Double> timings = new LinkedHashMap<>();   // set by open(): whether this run made the run directory
    /** {@code finetune.<fraction>} of the report: what {@link FinetuneStage} has made so far. */
    private final Map<String, Object> finetune = new LinkedHashMap<>();

    /**
     * Runs one representation's evaluation ({@code features} + {@code probe}); the default just runs
     * it. Tests wrap it to make one evaluation fail and check that the others and the report survive.
     */
    @FunctionalInterface
    public interface EvaluationStep {
        void run(String representation, Runnable evaluation);
    }

    private final EvaluationStep evaluationStep;

    public Pipeline(PretextConfig cfg) {
        this(cfg, (name, evaluation) -> evaluation.run());
    }

    public Pipeline(PretextConfig cfg, EvaluationStep evaluationStep) {
        this.cfg = cfg;
        this.evaluationStep = evaluationStep;
        String id = cfg.runId.isEmpty()
                ? cfg.methodName + "-" + cfg.dataFormat + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                : cfg.runId;
        this.runDir = FsDir.of(cfg.runDir).child(id);
    }

    /** {@code run.dir/<run-id>}: a local directory or one on any Hadoop file system ({@code hdfs://}). */
    public FsDir runDir() {
        return runDir;
    }

    /**
     * Accepts the run before anything in its directory changes: takes the run's lock (refused while
     * another process holds it), and on a resume checks the new config against the run's
     * {@code config.conf} ({@link ResumeConfig}) and says what the run resumes from; only then
     * writes {@code config.conf}. The caller closes the lock when the run ends (also on failure).
     */
    public RunLock open() throws IOException {
        String name = runDir.name();
        created = !runDir.exists();
        RunLock lock = RunLock.acquire(runDir, name);
        try {
            FsDir conf = runDir.child("config.conf");
            if (conf.exists()) {
                ResumeConfig.check(name, conf.readString(), Secrets.redactedConfig(cfg.render()));
                System.err.println("pipeline: resuming run " + name + " from " + resumePoint(runDir));
            }
            conf.writeAtomically(Secrets.redactedConfig(cfg.render()));
            return lock;
        } catch (RuntimeException | IOException e) {
            lock.close();
            throw e;
        }
    }

    /** What a resume of {@code runDir} starts from: its latest checkpoint, and the images table. */
    public static String resumePoint(FsDir runDir) throws IOException {
        String ckpt = Checkpoints.findLatest(runDir).map(c -> "checkpoint " + c.name()
                + " (" + c.state().epochsCompleted() + " epochs" + (c.state().chunksCompleted() > 0
                ? " + " + c.state().chunksCompleted() + "/" + c.state().chunksPerEpoch() + " chunks" : "")
                + " done)").orElse("no checkpoint (pre-training starts over)");
        boolean images = runDir.child("images").child(Manifest.FILE_NAME).exists();
        return ckpt + (images ? ", images table reused" : "");
    }

    public RunReport run(SparkSession spark) throws IOException {
        if (created == null) {
            try (RunLock ignored = open()) {
                return run(spark);
            }
        }
        try {
            return stages(spark);
        } catch (RuntimeException | IOException | Error e) {
            // A run that failed before it had any data or checkpoint is removed: nothing half-made
            // is left behind. Anything that took work to produce is kept for a resume.
            try {
                if (created && !runDir.child("images").child(Manifest.FILE_NAME).exists()
                        && !runDir.child(Checkpoints.DIR).exists()) {
                    runDir.deleteIfExists();
                }
            } catch (IOException | UncheckedIOException ignored) {
                // best effort: the original failure is what the user needs to see
            }
            throw e;
        }
    }

    private RunReport stages(SparkSession spark) throws IOException {
        long t0 = System.nanoTime();
        System.err.println("pipeline: run directory " + Secrets.redactValue(runDir.toString()));
        System.err.println("pipeline: " + CpuAcceleration.enable().describe());

        // a method's missing inputs (distill without a teacher) fail here, before any data is made
        cfg.method().representations();

        // 1. data
        long ti = System.nanoTime();
        String images = imagesTable(spark);
        timings.put("data", (System.nanoTime() - ti) / 1e9);
        Map<String, Long> counts = ImagesTable.countBySplit(spark, images, List.of("train", cfg.testSplit, "unlabeled"));

        // 2. materialised views
        String views = null;
        if (cfg.augmentMode.equals("materialised")) {
            views = runDir.child("views").toString();
            if (!runDir.child("views").exists()) {
                materialiseViews(spark, cfg, images, views, cfg.epochs, false);
            }
        }

        // 3. pretrain
        RunReport partial = report(counts, null, Map.of(), Map.of());
        RunSummary summary;
        try {
            long tp = System.nanoTime();
            summary = PretrainStage.run(spark, cfg, images, views, runDir, true);
            timings.put("pretrain", (System.nanoTime() - tp) / 1e9);
        } catch (RuntimeException | Error e) {
            partial.put("status", "failed");
            partial.put("failures.pretrain", Failures.describe(e));
            partial.write(runDir);
            dev.pretext.report.ReportWriter.inPipeline(spark, runDir, cfg.seed, System.err);   // the curves up to the failure
            throw e;
        }

        // 4. features and probes (pretrained, then baselines). Each representation is evaluated on
        // its own: one that fails is recorded with its error, the others still run, and the report
        // is rewritten after each, so whatever finished is kept even if the process dies later.
        Dataset<Row> labelled = FeaturesStage.labelled(spark, images, cfg.testSplit).cache();
        Map<String, EvalReport> results = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        String featuresDir = runDir.child("features").toString();
        List<String> representations = new java.util.ArrayList<>(List.of(FeaturesStage.PRETRAINED));
        for (String layer : cfg.evalLayers) {
            representations.add(FeaturesStage.PRETRAINED + "_" + layer);
        }
        if (cfg.baselines) {
            representations.addAll(List.of(FeaturesStage.RANDOM_INIT, FeaturesStage.RAW_PIXELS));
        }
        for (String name : representations) {
            report(counts, summary, results, failures).put("status", "evaluating " + name).write(runDir);
            try {
                evaluationStep.run(name, () -> features(spark, name, labelled, featuresDir, results));
            } catch (RuntimeException | Error e) {
                if (e instanceof Error && !(e instanceof OutOfMemoryError)) {
                    throw e;
                }
                String why = Failures.describe(e);
                failures.put(name, why);
                System.err.println("pipeline: the " + name + " evaluation failed: " + why);
            }
        }
        labelled.unpersist();

        // 4b. fine-tuning per labelled fraction (eval.finetune.fractions; none by default), recorded like
        // the evaluations above: a failed fraction goes to failures, the others still run
        FinetuneStage.inPipeline(spark, cfg, images, runDir, finetune, failures, evaluationStep,
                status -> report(counts, summary, results, failures).put("status", status).write(runDir));

        // 5. report
        RunReport report = report(counts, summary, results, failures);
        report.put("status", failures.isEmpty() ? "complete" : "failed");
        report.put("seconds_total", (System.nanoTime() - t0) / 1e9);
        report.write(runDir);
        dev.pretext.report.ReportWriter.inPipeline(spark, runDir, cfg.seed, System.err);
        if (!failures.isEmpty()) {
            System.out.println(report.summaryTable());
            throw new UserError("pipeline: " + failures.size() + " of "
                    + (representations.size() + cfg.finetuneFractions.size())
                    + " evaluations failed (" + String.join("; ", failures.entrySet().stream()
                    .map(en -> en.getKey() + ": " + en.getValue()).toList()) + "). The report with the other"
                    + " results is " + runDir.child("report.md"));
        }
        return report;
    }

    private void features(SparkSession spark, String name, Dataset<Row> labelled, String featuresDir,
                          Map<String, EvalReport> results) {
        if (name.startsWith(FeaturesStage.PRETRAINED + "_")) {
            // a probe of another layer of the pre-trained encoder (eval.layers), average-pooled over space
            String alias = name.substring(FeaturesStage.PRETRAINED.length() + 1);
            String out = featuresDir + "/" + name;
            long tf = System.nanoTime();
            ComputationGraph trained = FeaturesStage.pretrained(runDir);
            if (trained.getNumInputArrays() > 1) {
                // inputs besides the image (Selfie's keep mask; DV2's self-attention between stages): the
                // stages of the method's whole-image encoder
                Row first = labelled.select("height", "width").first();
                trained = cfg.method().evaluationGraph(trained, cfg.backbone, cfg.width, first.getInt(0),
                        first.getInt(1));
            }
            FeaturesStage.write(spark, name, labelled, trained,
                    dev.pretext.nn.Backbones.layer(cfg.backbone, alias), true, cfg, out, true);
            long tp = System.nanoTime();
            timings.put("features_" + name, (tp - tf) / 1e9);
            results.put(name, ProbeStage.run(spark, cfg, out));
            timings.put("probe_" + name, (System.nanoTime() - tp) / 1e9);
            return;
        }
        ComputationGraph net = switch (name) {
            case FeaturesStage.PRETRAINED -> FeaturesStage.pretrained(runDir);
            case FeaturesStage.RANDOM_INIT -> {
                Row first = labelled.select("height", "width").first();
                yield FeaturesStage.randomInit(cfg, first.getInt(0), first.getInt(1));
            }
            default -> null;
        };
        String out = featuresDir + "/" + name;
        long tf = System.nanoTime();
        FeaturesStage.write(spark, name, labelled, net, cfg, out, true);
        long tp = System.nanoTime();
        timings.put("features_" + name, (tp - tf) / 1e9);
        java.util.function.Consumer<dev.pretext.eval.LinearProbeModel> fitted = m -> { };
        if (FeaturesStage.PRETRAINED.equals(name)) {
            Row first = labelled.select("height", "width").first();
            ComputationGraph trained = net;
            fitted = m -> saveSparkMl(trained, first.getInt(0), first.getInt(1), m);
        }
        results.put(name, ProbeStage.run(spark, cfg, out, fitted));
        timings.put("probe_" + name, (System.nanoTime() - tp) / 1e9);
    }

    /**
     * {@code <run>/spark-ml/}: the pre-trained encoder and its fitted linear probe as one MLlib
     * {@code PipelineModel} (images in, features and predictions out). A failure to save it is a
     * note, not a failed evaluation.
     */
    private void saveSparkMl(ComputationGraph trained, int height, int width, dev.pretext.eval.LinearProbeModel probe) {
        FsDir target = runDir.child(FeaturesStage.SPARK_ML);
        try {
            FeaturesStage.encoder(cfg, trained, height, width).withProbe(probe).write().overwrite().save(target.uri());
            System.err.println("pipeline: encoder + linear probe as a Spark ML PipelineModel -> " + target);
        } catch (IOException | RuntimeException e) {
            System.err.println("pipeline: note: the Spark ML model was not saved to " + target + ": " + e);
        }
    }

    /** The images table to train on: data.table, or data.input ingested, or synthetic data ingested. */
    private String imagesTable(SparkSession spark) {
        if (!cfg.dataTable.isEmpty()) {
            ImagesTable.manifest(spark, cfg.dataTable);   // fails clearly when it is not a committed table
            return cfg.dataTable;
        }
        return ingest(spark, cfg, runDir.child("images"), runDir, "pipeline");
    }

    /**
     * Ingests {@code data.input} (or, when it is empty, synthetic data of {@code data.format} written to
     * {@code workDir/synthetic-<format>}) into the images table {@code table}; reuses the table when it
     * is already committed. Returns the table's path.
     *
     * @param who prefix of the progress lines ({@code pipeline}, {@code compare})
     */
    public static String ingest(SparkSession spark, PretextConfig cfg, Path table, Path workDir, String who) {
        return ingest(spark, cfg, FsDir.local(table), FsDir.local(workDir), who);
    }

    /**
     * {@link #ingest(SparkSession, PretextConfig, Path, Path, String)} on any file system; synthetic
     * data is written to a local {@code workDir} only (the writers are local), else to the driver's
     * temporary directory.
     */
    public static String ingest(SparkSession spark, PretextConfig cfg, FsDir table, FsDir workDir, String who) {
        String out = table.toString();
        if (table.child(Manifest.FILE_NAME).exists()) {
            System.err.println(who + ": images table already ingested: " + out);
            return out;
        }
        String input = cfg.dataInput;
        boolean folder = cfg.dataFormat.equals(ImageFolderIngest.FORMAT);
        // the synthetic writers write local files: beside a remote run, into a temporary folder removed after
        Path temp = input.isEmpty() && workDir.localPath().isEmpty() ? localWorkDir() : null;
        try {
            return ingest(spark, cfg, out, input, folder, temp == null ? workDir.localPath().orElse(null) : temp, who);
        } finally {
            if (temp != null) {
                try {
                    FsDir.local(temp).deleteIfExists();
                } catch (IOException ignored) {
                    // a leftover temporary folder
                }
            }
        }
    }

    private static String ingest(SparkSession spark, PretextConfig cfg, String out, String input, boolean folder,
                                 Path workDir, String who) {
        if (input.isEmpty()) {
            Path synth = workDir.resolve("synthetic-" + cfg.dataFormat);
            System.err.printf("%s: data.input is empty: writing synthetic %s data (%d train, %d test) to %s%n",
                    who, cfg.dataFormat, cfg.synthTrain, cfg.synthTest, synth);
            if (folder) {
                SynthImageFolderWriter w = new SynthImageFolderWriter(cfg.synthSeed, cfg.synthImageSize,
                        ImageEncoder.jpeg(90));
                int threads = Runtime.getRuntime().availableProcessors();
                w.write(synth, "train", cfg.synthTrain, threads);
                w.write(synth, cfg.testSplit, cfg.synthTest, threads);
                if (cfg.synthUnlabeled > 0) {
                    w.write(synth, "unlabeled", cfg.synthUnlabeled, threads);
                }
            } else {
                new SynthDatasetWriter(cfg.synthSeed).write(cfg.dataFormat, synth, cfg.synthTrain, cfg.synthTest,
                        cfg.synthUnlabeled);
            }
            input = synth.toString();
        }
        long t0 = System.nanoTime();
        IngestResult r = folder
                ? ImageFolderIngest.run(spark, input, out, ImageFolderSettings.of(cfg, input, cfg.dataShards),
                        OnCorrupt.parse(cfg.onCorrupt), true)
                : IngestJob.ingest(spark, cfg.dataFormat, input, out, cfg.dataShards, OnCorrupt.parse(cfg.onCorrupt), true);
        System.err.printf("%s: ingested %d images %s (%d quarantined) in %.1f s%n", who, r.rows(), r.counts(),
                r.quarantined(), (System.nanoTime() - t0) / 1e9);
        return out;
    }

    /** Where a run on a remote file system writes its synthetic input: a local temporary directory. */
    private static Path localWorkDir() {
        try {
            return Files.createTempDirectory("pretext-synth-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    /** Writes the views table for {@code epochs} epochs x 2 views, committed atomically. */
    public static long materialiseViews(SparkSession spark, PretextConfig cfg, String images, String out, int epochs,
                                        boolean overwrite) {
        Dataset<Row> imgs = ImagesTable.read(spark, images);
        Row first = imgs.select("height").first();
        if (first == null) {
            throw new UserError("images table " + images + " is empty");
        }
        SimClrAugment aug = new SimClrAugment(PretrainStage.augmentSpec(cfg, first.getInt(0)));
        Dataset<Row> pretrain = imgs.where(org.apache.spark.sql.functions.col("split").isin(cfg.pretrainSplits.toArray()));
        long t0 = System.nanoTime();
        try (TableCommit commit = TableCommit.begin(spark.sparkContext().hadoopConfiguration(), out, overwrite)) {
            ViewsJob.write(ViewsJob.views(pretrain, aug.spec(), cfg.seed, epochs, 2), commit.tempDir());
            long rows = spark.read().parquet(commit.tempDir()).count();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("epochs", epochs);
            extra.put("views", 2);
            extra.put("seed", cfg.seed);
            extra.put("augment", aug.spec().toString());
            commit.commit(Manifest.create(1, "augment", cfg.dataFormat, List.of(new Manifest.Input(images, 0)),
                    Map.of("views", rows), rows, 0, extra));
            System.err.printf("augment: %d views (%d epochs x 2) in %.1f s -> %s%n", rows, epochs,
                    (System.nanoTime() - t0) / 1e9, out);
            return rows;
        }
    }

    private RunReport report(Map<String, Long> counts, RunSummary s, Map<String, EvalReport> results,
                             Map<String, String> failures) {
        RunReport r = new RunReport();
        r.put("run_id", runDir.name());
        r.put("status", "running");
        r.put("method", cfg.methodName);
        r.put("backbone", cfg.backbone);
        r.put("width", cfg.width);
        r.put("dataset.format", cfg.dataFormat);
        r.put("dataset.input", cfg.dataInput.isEmpty() ? (cfg.dataTable.isEmpty() ? "synthetic" : cfg.dataTable)
                : cfg.dataInput);
        r.put("dataset.train_images", counts.getOrDefault("train", 0L));
        r.put("dataset.test_split", cfg.testSplit);
        r.put("dataset.test_images", counts.getOrDefault(cfg.testSplit, 0L));
        r.put("dataset.unlabeled_images", counts.getOrDefault("unlabeled", 0L));
        long pretrainImages = cfg.pretrainSplits.stream().mapToLong(sp -> counts.getOrDefault(sp, 0L)).sum();
        r.put("pretrain.splits", cfg.pretrainSplits);
        r.put("pretrain.images", pretrainImages);
        r.put("pretrain.trainer", cfg.trainer);
        r.put("pretrain.workers", cfg.workers);
        r.put("pretrain.batch_size", cfg.batchSize);
        r.put("pretrain.optimizer", cfg.optimizer);
        r.put("pretrain.lr", cfg.lr);
        if (s != null) {
            r.put("pretrain.images_per_epoch", s.imagesPerEpoch());
            r.put("pretrain.images_dropped_per_epoch", Math.max(0, pretrainImages - s.imagesPerEpoch()));
            r.put("pretrain.epochs", s.epochsCompleted());
            r.put("pretrain.epochs_planned", s.epochsPlanned());
            r.put("pretrain.steps", s.steps());
            r.put("pretrain.seconds", s.seconds());
            r.put("pretrain.images_per_s", s.imagesPerS());
            r.put("pretrain.final_loss", s.finalLoss());
            r.put("pretrain.stopped_reason", s.stoppedReason());
            r.put("pretrain.bound", s.bound());
            r.put("pretrain.max_seconds", cfg.maxSeconds);
            r.put("pretrain.schedule", s.schedule());
            if (Double.isFinite(s.knnTop1())) {
                r.put("pretrain.monitor_knn_top1", s.knnTop1());
            }
        }
        put(r, "probe", results.get(FeaturesStage.PRETRAINED));
        for (String layer : cfg.evalLayers) {
            put(r, "layers." + layer, results.get(FeaturesStage.PRETRAINED + "_" + layer));
        }
        put(r, "baselines.random_init", results.get(FeaturesStage.RANDOM_INIT));
        put(r, "baselines.raw_pixels", results.get(FeaturesStage.RAW_PIXELS));
        if (!finetune.isEmpty()) {
            r.put("finetune", finetune);
        }
        failures.forEach((name, why) -> r.putKey("failures", name, why));
        timings.forEach((stage, sec) -> r.put("timings." + stage, sec));
        return r;
    }

    private static void put(RunReport r, String prefix, EvalReport e) {
        if (e == null) {
            return;
        }
        r.put(prefix + ".linear_top1", e.linearTop1());
        r.put(prefix + ".linear_top5", e.linearTop5());
        r.put(prefix + ".knn_top1", e.knnTop1());
        r.put(prefix + ".reg_param", e.chosenRegParam());
        r.put(prefix + ".features", e.numFeatures());
        if (prefix.equals("probe") && e.confusion() != null) {
            // the report's confusion-matrix plot reads it (rows: true class, columns: predicted)
            r.put(prefix + ".confusion", e.confusion().toList());
        }
    }
}
