package dev.pretext.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import dev.pretext.UserError;

import java.io.Serializable;
import java.util.List;

/**
 * The resolved configuration, parsed once into typed, validated values. Each accessor's key is the
 * HOCON path documented in {@code pretext/reference.conf}; a bad value is a {@link UserError}
 * naming the key and what is allowed.
 */
public final class PretextConfig implements Serializable {
    public static final List<String> FORMATS = List.of("cifar10", "cifar100", "stl10", "imagefolder");
    /** The formats read by the binary readers (the rest: image folders). */
    public static final List<String> BINARY_FORMATS = List.of("cifar10", "cifar100", "stl10");
    public static final List<String> TRAINERS = List.of("paramavg", "shared");
    public static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");

    private final String rendered;

    public final String dataFormat;
    public final String dataInput;
    public final String dataTable;
    /** data.descriptors: a descriptors table to reuse ("" = compute into the run when the method needs one). */
    public final String dataDescriptors;
    /** data.patches: a patches table for the patch methods ("" = cut on the fly). */
    public final String dataPatches;
    public final int dataShards;
    public final String onCorrupt;
    public final int synthTrain;
    public final int synthTest;
    public final int synthUnlabeled;
    public final long synthSeed;
    public final float[] mean;
    public final float[] std;
    public final List<String> pretrainSplits;

    public final String ingestName;
    public final String ingestResize;
    public final String ingestEncoding;
    public final int ingestJpegQuality;
    public final long ingestMaxPixels;
    public final String ingestLabels;
    public final String ingestSplit;
    public final int ingestShards;
    public final int ingestShardMb;
    public final int ingestRowGroupMb;
    public final int ingestFilesPerTask;
    public final int ingestTarMbPerTask;

    public final int patchGrid;
    public final int patchGap;
    public final int patchJitter;
    public final int patchViews;
    public final boolean patchIncludeOriginal;
    public final int patchPermutations;
    public final long patchSeed;
    public final int patchShards;

    public final String describeDescriptors;
    public final int describeBatchSize;
    /** Parameters per descriptor name (describe.hog, describe.lsd, ...), as HOCON gave them. */
    public final java.util.Map<String, java.util.Map<String, Object>> describeParams;

    public final String runDir;
    public final String runId;
    public final long seed;

    public final String methodName;
    /** {@code method.<method.name>.*}: the selected method's own keys, validated by it. */
    public final dev.pretext.method.MethodParams methodParams;
    /** {@code eval.layers}: more encoder layers to probe (stage aliases or vertex names). */
    public final List<String> evalLayers;
    public final int projectionDim;
    public final int projectionHidden;

    public final String backbone;
    public final double width;

    public final String augmentMode;
    public final double cropScaleMin;
    public final double cropScaleMax;
    public final double flipP;
    public final double jitterP;
    public final double brightness;
    public final double contrast;
    public final double saturation;
    public final double hue;
    public final double grayscaleP;
    public final double blurP;

    public final int epochs;
    public final double maxSeconds;
    public final int batchSize;
    public final String trainer;
    public final int workers;
    public final String optimizer;
    public final double lr;
    public final double weightDecay;
    public final double warmupEpochs;
    public final int averagingFrequency;
    public final int chunksPerEpoch;

    public final int knnK;
    public final double knnTemperature;
    public final int monitorTrainImages;
    public final int monitorTestImages;
    public final double valFraction;
    public final String testSplit;
    public final int synthImageSize;
    public final double[] regGrid;
    public final int maxIter;
    public final boolean baselines;
    public final int knnChunkMb;
    public final int readBatchMb;
    public final int rawPixelsSize;

    /** {@code retrain.*}: the promotion gate and registry of {@code bin/pretext retrain}. */
    public final String retrainMetric;
    public final double retrainMargin;
    public final int retrainKeep;
    public final boolean retrainWarmStart;
    public final String retrainHoldout;

    /** {@code eval.finetune.fractions}: labelled fractions to fine-tune on in the pipeline (empty = off). */
    public final List<Double> finetuneFractions;
    public final int finetuneEpochs;
    public final int finetuneBatchSize;
    public final double finetuneLr;
    public final double finetuneValFraction;
    public final boolean finetuneRandomInit;
    public final double finetuneCropScaleMin;
    public final double finetuneCropScaleMax;
    public final double finetuneFlipP;

    public final String sparkMaster;

    PretextConfig(Config c) {
        this.rendered = c.root().render(
                ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
        dataFormat = oneOf(c, "data.format", FORMATS);
        dataInput = c.getString("data.input");
        dataTable = c.getString("data.table");
        dataDescriptors = c.getString("data.descriptors");
        dataPatches = c.getString("data.patches");
        dataShards = intIn(c, "data.shards", 1, 100_000);
        onCorrupt = oneOf(c, "data.on-corrupt", List.of("fail", "skip"));
        synthTrain = intIn(c, "data.synth.train-images", 10, 10_000_000);
        synthTest = intIn(c, "data.synth.test-images", 10, 10_000_000);
        synthUnlabeled = intIn(c, "data.synth.unlabeled-images", 0, 10_000_000);
        synthSeed = get(c, "data.synth.seed", () -> c.getLong("data.synth.seed"), "an integer");
        mean = floats(c, "data.mean", 3);
        std = floats(c, "data.std", 3);
        for (float s : std) {
            if (!(s > 0)) {
                throw new UserError("config key 'data.std': every value must be > 0");
            }
        }
        pretrainSplits = get(c, "data.pretrain-splits", () -> c.getStringList("data.pretrain-splits"), "a list of split names");
        if (pretrainSplits.isEmpty()) {
            throw new UserError("config key 'data.pretrain-splits': give at least one split (e.g. [train])");
        }

        ingestName = c.getString("ingest.name");
        ingestResize = nonEmpty(c, "ingest.resize");
        ingestEncoding = oneOf(c, "ingest.encoding", List.of("jpeg", "png"));
        ingestJpegQuality = intIn(c, "ingest.jpeg-quality", 1, 100);
        ingestMaxPixels = get(c, "ingest.max-pixels", () -> c.getLong("ingest.max-pixels"), "an integer");
        if (ingestMaxPixels < 1) {
            throw new UserError("config key 'ingest.max-pixels': must be >= 1");
        }
        ingestLabels = c.getString("ingest.labels");
        ingestSplit = oneOf(c, "ingest.split", List.of("train", "val", "test", "unlabeled"));
        ingestShards = intIn(c, "ingest.shards", 0, 100_000);
        ingestShardMb = intIn(c, "ingest.shard-mb", 1, 1 << 20);
        ingestRowGroupMb = intIn(c, "ingest.row-group-mb", 1, 2047);
        ingestFilesPerTask = intIn(c, "ingest.files-per-task", 1, 10_000_000);
        ingestTarMbPerTask = intIn(c, "ingest.tar-mb-per-task", 1, 1 << 20);

        patchGrid = intIn(c, "patches.grid", 1, 64);
        patchGap = intIn(c, "patches.gap", 0, 10_000);
        patchJitter = intIn(c, "patches.jitter", 0, 10_000);
        patchViews = intIn(c, "patches.views", 0, 1_000);
        patchIncludeOriginal = get(c, "patches.include-original", () -> c.getBoolean("patches.include-original"),
                "true or false");
        patchPermutations = intIn(c, "patches.permutations", 0, 362_880);
        patchSeed = get(c, "patches.seed", () -> c.getLong("patches.seed"), "an integer");
        patchShards = intIn(c, "patches.shards", 1, 100_000);

        describeDescriptors = nonEmpty(c, "describe.descriptors");
        describeBatchSize = intIn(c, "describe.batch-size", 1, 65_536);
        java.util.Map<String, java.util.Map<String, Object>> params = new java.util.LinkedHashMap<>();
        for (String d : List.of("hog", "lsd", "scattering", "augmented")) {
            params.put(d, new java.util.LinkedHashMap<>(get(c, "describe." + d,
                    () -> c.getConfig("describe." + d).root().unwrapped(), "an object of parameters")));
        }
        describeParams = params;

        runDir = nonEmpty(c, "run.dir");
        runId = c.getString("run.id");
        if (!runId.isEmpty() && !runId.matches("[A-Za-z0-9._-]+")) {
            throw new UserError("config key 'run.id': use letters, digits, '.', '_' or '-' (got '" + runId + "')");
        }
        seed = get(c, "run.seed", () -> c.getLong("run.seed"), "an integer");

        methodName = oneOf(c, "method.name", dev.pretext.method.Methods.names());
        String own = "method." + methodName;
        methodParams = new dev.pretext.method.MethodParams(methodName, c.hasPath(own)
                ? get(c, own, () -> c.getConfig(own).root().unwrapped(), "an object of the method's keys")
                : java.util.Map.of());
        dev.pretext.method.Methods.create(methodName, methodParams);  // validates method.<name>.*
        projectionDim = intIn(c, "method.projection-dim", 2, 65_536);
        projectionHidden = intIn(c, "method.projection-hidden", 0, 65_536);

        backbone = oneOf(c, "model.backbone", dev.pretext.nn.Backbones.names());
        width = dblIn(c, "model.width", 0.01, 8);

        augmentMode = oneOf(c, "augment.mode", List.of("on-the-fly", "materialised"));
        cropScaleMin = dblIn(c, "augment.crop-scale-min", 0.01, 1);
        cropScaleMax = dblIn(c, "augment.crop-scale-max", cropScaleMin, 1);
        flipP = dblIn(c, "augment.flip-p", 0, 1);
        jitterP = dblIn(c, "augment.jitter-p", 0, 1);
        brightness = dblIn(c, "augment.brightness", 0, 1);
        contrast = dblIn(c, "augment.contrast", 0, 1);
        saturation = dblIn(c, "augment.saturation", 0, 1);
        hue = dblIn(c, "augment.hue", 0, 0.5);
        grayscaleP = dblIn(c, "augment.grayscale-p", 0, 1);
        blurP = dblIn(c, "augment.blur-p", 0, 1);

        epochs = intIn(c, "train.epochs", 1, 100_000);
        maxSeconds = dblIn(c, "train.max-seconds", 0, 1e9);
        batchSize = intIn(c, "train.batch-size", 2, 65_536);
        trainer = oneOf(c, "train.trainer", TRAINERS);
        workers = intIn(c, "train.workers", 1, 10_000);
        optimizer = oneOf(c, "train.optimizer", OPTIMIZERS);
        lr = dblIn(c, "train.lr", 1e-8, 100);
        weightDecay = dblIn(c, "train.weight-decay", 0, 1);
        warmupEpochs = dblIn(c, "train.warmup-epochs", 0, 100_000);
        averagingFrequency = intIn(c, "train.averaging-frequency", 1, 100_000);
        chunksPerEpoch = intIn(c, "train.chunks-per-epoch", 1, 10_000);

        knnK = intIn(c, "eval.knn-k", 1, 100_000);
        knnTemperature = dblIn(c, "eval.knn-temperature", 1e-4, 100);
        evalLayers = List.copyOf(get(c, "eval.layers", () -> c.getStringList("eval.layers"),
                "a list of layer names (stage1..stage4 or vertex names)"));
        for (String l : evalLayers) {
            if (!l.matches("[A-Za-z0-9_]+")) {
                throw new UserError("config key 'eval.layers': '" + l + "' is not a layer name (letters, digits, _)");
            }
        }
        monitorTrainImages = intIn(c, "eval.monitor.train-images", 0, 1_000_000);
        monitorTestImages = intIn(c, "eval.monitor.test-images", 0, 1_000_000);
        valFraction = dblIn(c, "eval.val-fraction", 0.01, 0.9);
        testSplit = oneOf(c, "eval.test-split", List.of("test", "val"));
        synthImageSize = intIn(c, "data.synth.image-size", 8, 4096);
        List<Double> grid = get(c, "eval.reg-grid", () -> c.getDoubleList("eval.reg-grid"), "a list of numbers");
        if (grid.isEmpty() || grid.stream().anyMatch(v -> v < 0)) {
            throw new UserError("config key 'eval.reg-grid': give a non-empty list of values >= 0");
        }
        regGrid = grid.stream().mapToDouble(Double::doubleValue).toArray();
        maxIter = intIn(c, "eval.max-iter", 1, 100_000);
        baselines = get(c, "eval.baselines", () -> c.getBoolean("eval.baselines"), "true or false");
        knnChunkMb = intIn(c, "eval.knn-chunk-mb", 1, 4096);
        readBatchMb = intIn(c, "eval.read-batch-mb", 1, 4096);
        rawPixelsSize = intIn(c, "eval.raw-pixels-size", 1, 4096);

        List<Double> fractions = get(c, "eval.finetune.fractions", () -> c.getDoubleList("eval.finetune.fractions"),
                "a list of labelled fractions in (0, 1], e.g. [0.01, 0.1, 1.0]");
        for (double f : fractions) {
            if (!(f > 0 && f <= 1)) {
                throw new UserError("config key 'eval.finetune.fractions': " + f + " is out of range; each fraction"
                        + " must be in (0, 1] (0.01 = 1% of each class's labelled training images)");
            }
        }
        if (fractions.stream().distinct().count() != fractions.size()) {
            throw new UserError("config key 'eval.finetune.fractions': " + fractions + " names a fraction twice");
        }
        finetuneFractions = List.copyOf(fractions);
        finetuneEpochs = intIn(c, "eval.finetune.epochs", 1, 100_000);
        finetuneBatchSize = intIn(c, "eval.finetune.batch-size", 2, 65_536);
        finetuneLr = dblIn(c, "eval.finetune.lr", 1e-8, 10);
        finetuneValFraction = dblIn(c, "eval.finetune.val-fraction", 0, 0.5);
        finetuneRandomInit = get(c, "eval.finetune.random-init", () -> c.getBoolean("eval.finetune.random-init"),
                "true or false");
        finetuneCropScaleMin = dblIn(c, "eval.finetune.augment.crop-scale-min", 0.01, 1);
        finetuneCropScaleMax = dblIn(c, "eval.finetune.augment.crop-scale-max", finetuneCropScaleMin, 1);
        finetuneFlipP = dblIn(c, "eval.finetune.augment.flip-p", 0, 1);

        retrainMetric = oneOf(c, "retrain.metric", List.of("linear_top1", "linear_top5", "knn_top1"));
        retrainMargin = dblIn(c, "retrain.margin", -1, 1);
        retrainKeep = intIn(c, "retrain.keep", 1, 100_000);
        retrainWarmStart = get(c, "retrain.warm-start", () -> c.getBoolean("retrain.warm-start"), "true or false");
        retrainHoldout = c.getString("retrain.holdout");

        sparkMaster = c.getString("spark.master");
    }

    /** The resolved configuration as HOCON, saved as {@code config.conf} in each run. */
    public String render() {
        return rendered;
    }

    /** The selected method, configured by its keys. */
    public dev.pretext.method.PretextMethod method() {
        return dev.pretext.method.Methods.create(methodName, methodParams);
    }

    private interface Getter<T> {
        T get();
    }

    private static <T> T get(Config c, String key, Getter<T> g, String expected) {
        try {
            return g.get();
        } catch (ConfigException.Missing e) {
            throw new UserError("config key '" + key + "' is required (" + expected + ")");
        } catch (ConfigException.WrongType e) {
            throw new UserError(wrongType(c, key, e, expected));
        } catch (ConfigException e) {
            throw new UserError("config key '" + key + "': expected " + expected + " (" + e.getMessage() + ")");
        }
    }

    /**
     * "config key 'train.epochs': 'abc' is not a number (expected an integer in [1, 100000])", not the
     * config library's "has type STRING rather than NUMBER".
     */
    static String wrongType(Config c, String key, ConfigException.WrongType e, String expected) {
        String shown;
        try {
            com.typesafe.config.ConfigValue v = c.getValue(key);
            Object raw = v.unwrapped();
            shown = raw instanceof String s ? "'" + s + "'"
                    : v.render(ConfigRenderOptions.concise());
        } catch (ConfigException x) {
            shown = "its value";
        }
        String m = String.valueOf(e.getMessage());
        String kind = m.contains("rather than NUMBER") ? "a number"
                : m.contains("rather than BOOLEAN") ? "true or false"
                : m.contains("rather than LIST") ? "a list"
                : m.contains("rather than OBJECT") ? "an object"
                : null;
        if (kind == null || kind.equals(expected)) {
            return "config key '" + key + "': " + shown + " is not " + expected;
        }
        return "config key '" + key + "': " + shown + " is not " + kind + " (expected " + expected + ")";
    }

    private static String oneOf(Config c, String key, List<String> allowed) {
        String v = get(c, key, () -> c.getString(key), "one of " + String.join("|", allowed));
        if (!allowed.contains(v)) {
            throw new UserError("config key '" + key + "': '" + v + "' is not allowed; use one of "
                    + String.join("|", allowed));
        }
        return v;
    }

    private static String nonEmpty(Config c, String key) {
        String v = get(c, key, () -> c.getString(key), "a non-empty string");
        if (v.isBlank()) {
            throw new UserError("config key '" + key + "' must not be empty");
        }
        return v;
    }

    private static int intIn(Config c, String key, int lo, int hi) {
        int v = get(c, key, () -> c.getInt(key), "an integer in [" + lo + ", " + hi + "]");
        if (v < lo || v > hi) {
            throw new UserError("config key '" + key + "': " + v + " is out of range; allowed [" + lo + ", " + hi + "]");
        }
        return v;
    }

    private static double dblIn(Config c, String key, double lo, double hi) {
        double v = get(c, key, () -> c.getDouble(key), "a number in [" + lo + ", " + hi + "]");
        if (!(v >= lo && v <= hi)) {
            throw new UserError("config key '" + key + "': " + v + " is out of range; allowed [" + lo + ", " + hi + "]");
        }
        return v;
    }

    private static float[] floats(Config c, String key, int n) {
        List<Double> l = get(c, key, () -> c.getDoubleList(key), "a list of " + n + " numbers");
        if (l.size() != n) {
            throw new UserError("config key '" + key + "': expected " + n + " numbers, got " + l.size());
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = l.get(i).floatValue();
        }
        return out;
    }
}
