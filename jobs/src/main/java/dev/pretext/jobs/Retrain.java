package dev.pretext.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;
import dev.pretext.data.ImagesTable;
import dev.pretext.eval.EvalReport;
import dev.pretext.registry.CodeVersion;
import dev.pretext.registry.ModelRegistry;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.RunSummary;
import dev.pretext.train.Schedules;
import dev.pretext.train.TrainingStoppedException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.schedule.ISchedule;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * One scheduled-retraining cycle into a {@link ModelRegistry}: a new version trained with the
 * config's {@code train.*} on the current images table, warm-started from the champion's latest
 * checkpoint (weights and optimiser state; a fresh learning-rate schedule), then the candidate and
 * the champion scored by the same linear probe and kNN on the same holdout, and the gate: the
 * candidate becomes champion only if it did not diverge or collapse and its {@code retrain.metric}
 * is at least the champion's minus {@code retrain.margin}. Otherwise the champion stays, and the
 * version's record says why. The first cycle (no champion) trains from scratch and becomes champion
 * unless its training went wrong. The champion pointer is the only thing that changes the champion
 * and is written last, atomically, so a cycle that dies anywhere before leaves it untouched.
 *
 * <p>The caller holds the registry's lock ({@link ModelRegistry#lock}) for the whole cycle.
 */
public final class Retrain {
    /** Embedding std below which a candidate counts as collapsed (TrainingRun's stop rule's threshold). */
    static final double COLLAPSE_STD = 1e-4;

    /** Where tests plant a failure: after both evaluations, before the gate may change the champion. */
    @FunctionalInterface
    public interface Faults {
        Faults NONE = candidate -> { };

        void beforePromotion(String candidate);
    }

    /** What a cycle did: the candidate, whether it was promoted, the champion after it, and why. */
    public record Outcome(String version, boolean promoted, String champion, String reason) {
    }

    /** The gate's verdict. */
    public record Decision(boolean promote, String reason) {
    }

    private final PretextConfig cfg;
    private final ModelRegistry registry;
    private final Function<FsDir, PretextConfig> runConfig;
    private final Faults faults;
    private final PrintStream log;

    /**
     * @param runConfig the config a version was trained with (its saved {@code config.conf}), for
     *                  the champion's features: its architecture and normalisation
     */
    public Retrain(PretextConfig cfg, ModelRegistry registry, Function<FsDir, PretextConfig> runConfig, Faults faults,
                   PrintStream log) {
        this.cfg = cfg;
        this.registry = registry;
        this.runConfig = runConfig;
        this.faults = faults;
        this.log = log;
    }

    public Outcome run(SparkSession spark) throws IOException {
        long t0 = System.nanoTime();
        if (cfg.augmentMode.equals("materialised")) {
            throw new UserError("retrain augments on the fly: set augment.mode = on-the-fly");
        }
        for (String line : registry.markInterrupted("its process died before the cycle ended; found by a later retrain")) {
            log.println("retrain: " + line);
        }
        Optional<ModelRegistry.Pointer> champion = registry.champion();
        String images = imagesTable(spark);
        String holdout = cfg.retrainHoldout.isEmpty() ? images : cfg.retrainHoldout;
        ImagesTable.manifest(spark, holdout);   // fails clearly when it is not a committed table

        String version = registry.create();
        FsDir dir = registry.dir(version);
        ObjectNode rec = ModelRegistry.newRecord(version);
        rec.put("status", ModelRegistry.TRAINING);
        rec.put("parent", champion.map(ModelRegistry.Pointer::version).orElse(null));
        rec.put("code_version", CodeVersion.current());
        String rendered = Secrets.redactedConfig(cfg.render());
        dir.child("config.conf").writeAtomically(rendered);
        rec.put("config", "config.conf");
        rec.put("config_sha256", sha256(rendered));
        registry.writeRecord(version, rec);
        log.printf("retrain: version %s in %s (champion: %s)%n", version, dir,
                champion.map(ModelRegistry.Pointer::version).orElse("none yet"));
        try {
            return cycle(spark, version, dir, rec, champion, images, holdout, t0);
        } catch (RuntimeException | IOException | Error e) {
            rec.put("status", ModelRegistry.FAILED);
            rec.put("error", Secrets.redactText(Failures.describe(e)));
            rec.put("finished", java.time.Instant.now().toString());
            try {
                registry.writeRecord(version, rec);
            } catch (IOException | RuntimeException ignored) {
                // the original failure is what matters; a later retrain marks the version interrupted
            }
            throw e;
        }
    }

    private Outcome cycle(SparkSession spark, String version, FsDir dir, ObjectNode rec,
                          Optional<ModelRegistry.Pointer> champion, String images, String holdout, long t0)
            throws IOException {
        // lineage: the data snapshot and the holdout
        List<String> splits = List.of("train", cfg.testSplit, "unlabeled");
        String fingerprint = ImagesTable.fingerprint(spark, images);
        ObjectNode data = rec.putObject("data");
        data.put("images", images);
        data.put("format", cfg.dataFormat);
        data.put("fingerprint", fingerprint);
        data.set("counts", ModelRegistry.JSON.valueToTree(ImagesTable.countBySplit(spark, images, splits)));
        data.set("pretrain_splits", ModelRegistry.JSON.valueToTree(cfg.pretrainSplits));
        String holdoutFingerprint = holdout.equals(images) ? fingerprint : ImagesTable.fingerprint(spark, holdout);
        ObjectNode ho = rec.putObject("holdout");
        ho.put("images", holdout);
        ho.put("fingerprint", holdoutFingerprint);
        ho.put("fit_split", "train");
        ho.put("score_split", cfg.testSplit);
        ho.set("counts", ModelRegistry.JSON.valueToTree(ImagesTable.countBySplit(spark, holdout,
                List.of("train", cfg.testSplit))));
        String key = holdoutFingerprint + "|" + evaluationSettings(cfg);
        ho.put("key", key);

        // 1. train: warm-started from the champion, or from scratch
        FsDir championDir = champion.map(p -> registry.dir(p.version())).orElse(null);
        boolean warm = championDir != null && cfg.retrainWarmStart;
        ObjectNode ws = rec.putObject("warm_start");
        if (warm) {
            ws.put("from", champion.get().version());
        } else {
            ws.putNull("from");
            ws.put("why_not", championDir == null ? "no champion yet" : "retrain.warm-start = false");
        }
        registry.writeRecord(version, rec);
        long tt = System.nanoTime();
        RunSummary summary;
        try {
            summary = PretrainStage.run(spark, cfg, images, null, dir, false, net -> {
                if (warm) {
                    String ckpt = warmStart(net, championDir, champion.get().version(), log);
                    ws.put("checkpoint", ckpt);
                    ws.put("loaded", "weights and optimiser state; fresh learning-rate schedule from step 0");
                }
            });
        } catch (TrainingStoppedException e) {
            summary = e.summary();
            log.println("retrain: training of " + version + " stopped: " + e.getMessage());
        }
        double trainSeconds = (System.nanoTime() - tt) / 1e9;
        JsonNode last = lastMetrics(dir);
        double lastStd = last == null ? Double.NaN : last.path("embedding_std").asDouble(Double.NaN);
        ObjectNode tr = rec.putObject("training");
        tr.put("stopped_reason", summary.stoppedReason());
        tr.put("message", summary.message());
        tr.put("epochs", summary.epochsCompleted());
        tr.put("steps", summary.steps());
        tr.put("seconds", trainSeconds);
        tr.put("images_per_s", summary.imagesPerS());
        tr.put("final_loss", summary.finalLoss());
        tr.put("embedding_std", lastStd);
        if (last != null) {
            tr.put("effective_rank", last.path("effective_rank").asDouble(Double.NaN));
        }
        tr.put("checkpoint", summary.lastCheckpoint());

        // 2. score candidate and champion on the same holdout (unless training went wrong)
        Decision early = trainingVerdict(summary.stoppedReason(), summary.message(), lastStd);
        Scores candidate = null;
        Scores champ = null;
        if (early == null) {
            rec.put("status", ModelRegistry.EVALUATING);
            registry.writeRecord(version, rec);
            long te = System.nanoTime();
            Dataset<Row> labelled = FeaturesStage.labelled(spark, holdout, cfg.testSplit).cache();
            try {
                candidate = evaluate(spark, cfg, dir, labelled, dir.child("holdout/candidate"));
                rec.set("metrics", candidate.toJson());
                if (championDir != null) {
                    String cv = champion.get().version();
                    JsonNode cr = registry.record(cv);
                    if (key.equals(cr.path("holdout").path("key").asText()) && cr.has("metrics")) {
                        log.printf("retrain: champion %s's holdout scores reused (the same holdout and evaluation"
                                + " settings scored it when it was trained)%n", cv);
                        champ = Scores.of(cr.path("metrics"));
                    } else {
                        PretextConfig championCfg = runConfig.apply(championDir);
                        champ = evaluate(spark, championCfg, championDir, labelled, dir.child("holdout/champion"));
                    }
                    ObjectNode cm = champ.toJson();
                    cm.put("version", cv);
                    rec.set("champion_metrics", cm);
                }
            } finally {
                labelled.unpersist();
                dir.child("holdout").deleteIfExists();   // features are large and scored already
            }
            rec.put("evaluation_seconds", (System.nanoTime() - te) / 1e9);
        }

        // 3. the gate
        String champVersion = champion.map(ModelRegistry.Pointer::version).orElse(null);
        Decision d = early != null ? early : gate(cfg.retrainMetric, cfg.retrainMargin, candidate.get(cfg.retrainMetric),
                champ == null ? null : champ.get(cfg.retrainMetric), champVersion);
        ObjectNode g = rec.putObject("gate");
        g.put("metric", cfg.retrainMetric);
        g.put("margin", cfg.retrainMargin);
        g.put("promoted", d.promote());
        g.put("reason", d.reason());
        registry.writeRecord(version, rec);
        faults.beforePromotion(version);
        if (d.promote()) {
            registry.promote(version, "retrain", d.reason());
        }
        rec.put("status", d.promote() ? ModelRegistry.PROMOTED : ModelRegistry.REJECTED);
        rec.put("finished", java.time.Instant.now().toString());
        rec.put("seconds", (System.nanoTime() - t0) / 1e9);
        registry.writeRecord(version, rec);

        List<String> deleted = registry.prune(cfg.retrainKeep);
        if (!deleted.isEmpty()) {
            log.printf("retrain: deleted %s (retrain.keep = %d; the champion and the rollback target are kept)%n",
                    String.join(", ", deleted), cfg.retrainKeep);
        }
        String now = registry.champion().map(ModelRegistry.Pointer::version).orElse(null);
        return new Outcome(version, d.promote(), now, d.reason());
    }

    /**
     * Loads the newest loadable checkpoint of {@code championDir} into {@code net}: parameters and
     * the optimiser's state (Adam's moments), then puts back the new run's own learning-rate schedule
     * and starts the step and epoch counts at 0, so that the candidate warms up and decays over its
     * own budget. Returns the checkpoint's name.
     */
    public static String warmStart(ComputationGraph net, FsDir championDir, String champion, PrintStream log) {
        Optional<ISchedule> fresh = Schedules.of(net);
        Checkpoints.Checkpoint c;
        try {
            c = Checkpoints.restoreNewest(championDir, net, note -> log.println("retrain: champion " + champion + ": " + note))
                    .orElseThrow(() -> new UserError("champion " + champion + " has no complete checkpoint in "
                            + championDir));
        } catch (Checkpoints.UnreadableCheckpoint e) {
            throw e;
        } catch (UserError e) {
            throw new UserError("cannot warm-start from champion " + champion + ": " + e.getMessage()
                    + ". Set retrain.warm-start = false to train this configuration from scratch");
        }
        fresh.ifPresent(s -> Schedules.set(net, s));
        net.getConfiguration().setIterationCount(0);
        net.getConfiguration().setEpochCount(0);
        log.printf("retrain: warm start from champion %s, checkpoint %s (weights and optimiser state)%n", champion,
                c.name());
        return c.name();
    }

    /** Rejects a candidate whose training diverged or collapsed; null when training went well. */
    static Decision trainingVerdict(String stoppedReason, String message, double lastEmbeddingStd) {
        if (RunSummary.DIVERGED.equals(stoppedReason) || RunSummary.COLLAPSED.equals(stoppedReason)) {
            return new Decision(false, "training " + stoppedReason + ": " + message);
        }
        if (lastEmbeddingStd < COLLAPSE_STD) {
            return new Decision(false, String.format(Locale.ROOT, "training collapsed: the embedding's std in the last"
                    + " chunk is %.3g, below %.0e", lastEmbeddingStd, COLLAPSE_STD));
        }
        return null;
    }

    /**
     * The holdout comparison: promote when {@code candidate >= champion - margin}; with no champion
     * the candidate becomes the first.
     */
    public static Decision gate(String metric, double margin, double candidate, Double champion, String championVersion) {
        if (!Double.isFinite(candidate)) {
            return new Decision(false, "the candidate's " + metric + " is " + candidate);
        }
        if (champion == null) {
            return new Decision(true, String.format(Locale.ROOT, "no champion yet: the first version becomes champion"
                    + " (%s %.4f)", metric, candidate));
        }
        double bar = champion - margin;
        String how = margin >= 0
                ? String.format(Locale.ROOT, "champion %s's %.4f - margin %.4f", championVersion, champion, margin)
                : String.format(Locale.ROOT, "champion %s's %.4f + %.4f required by the negative margin", championVersion,
                        champion, -margin);
        boolean ok = candidate >= bar - 1e-12;
        return new Decision(ok, String.format(Locale.ROOT, "%s %.4f %s %.4f (%s)%s", metric, candidate, ok ? ">=" : "<",
                bar, how, ok ? "" : ": worse than the champion by more than the margin"));
    }

    /** The holdout scores of one model. */
    record Scores(double linearTop1, double linearTop5, double knnTop1, int features) {
        static Scores of(EvalReport r) {
            return new Scores(r.linearTop1(), r.linearTop5(), r.knnTop1(), r.numFeatures());
        }

        static Scores of(JsonNode n) {
            return new Scores(n.path("linear_top1").asDouble(Double.NaN), n.path("linear_top5").asDouble(Double.NaN),
                    n.path("knn_top1").asDouble(Double.NaN), n.path("features").asInt());
        }

        double get(String metric) {
            return switch (metric) {
                case "linear_top1" -> linearTop1;
                case "linear_top5" -> linearTop5;
                case "knn_top1" -> knnTop1;
                default -> throw new IllegalArgumentException(metric);
            };
        }

        ObjectNode toJson() {
            ObjectNode n = ModelRegistry.JSON.createObjectNode();
            n.put("linear_top1", linearTop1);
            n.put("linear_top5", linearTop5);
            n.put("knn_top1", knnTop1);
            n.put("features", features);
            return n;
        }
    }

    /** The features of {@code runDir}'s latest checkpoint (with {@code featuresCfg}'s encoder), probed with this config's probes. */
    private Scores evaluate(SparkSession spark, PretextConfig featuresCfg, FsDir runDir, Dataset<Row> labelled,
                                FsDir out) {
        FeaturesStage.write(spark, FeaturesStage.PRETRAINED, labelled, FeaturesStage.pretrained(runDir), featuresCfg,
                out.toString(), true);
        return Scores.of(ProbeStage.run(spark, cfg, out.toString()));
    }

    /** What the probes' scores depend on besides the features: equal strings, equal scores for the same model. */
    static String evaluationSettings(PretextConfig c) {
        return String.format(Locale.ROOT, "test-split=%s reg-grid=%s val-fraction=%s max-iter=%d knn-k=%d knn-t=%s seed=%d",
                c.testSplit, java.util.Arrays.toString(c.regGrid), c.valFraction, c.maxIter, c.knnK, c.knnTemperature,
                c.seed);
    }

    /** The images table to train on: data.table, or data.input (or synthetic data) ingested once into REGISTRY/images. */
    private String imagesTable(SparkSession spark) throws IOException {
        if (!cfg.dataTable.isEmpty()) {
            ImagesTable.manifest(spark, cfg.dataTable);
            return cfg.dataTable;
        }
        Path work = Files.createTempDirectory("pretext-retrain-");
        try {
            return Pipeline.ingest(spark, cfg, registry.root().child(ModelRegistry.IMAGES), FsDir.local(work), "retrain");
        } finally {
            FsDir.local(work).deleteIfExists();
        }
    }

    private static JsonNode lastMetrics(FsDir runDir) throws IOException {
        FsDir f = runDir.child("metrics.jsonl");
        if (!f.isFile()) {
            return null;
        }
        String[] lines = f.readString().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (!lines[i].isBlank()) {
                return ModelRegistry.JSON.readTree(lines[i]);
            }
        }
        return null;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
