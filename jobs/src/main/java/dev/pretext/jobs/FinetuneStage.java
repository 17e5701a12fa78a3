package dev.pretext.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImagesTable;
import dev.pretext.eval.FineTune;
import dev.pretext.eval.LabelSample;
import dev.pretext.method.PretextMethod;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import dev.pretext.data.FsDir;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;

/**
 * The fine-tuning evaluation of a run ({@code bin/pretext finetune}, and the pipeline when
 * {@code eval.finetune.fractions} is set): the run's pre-trained encoder and, beside it, the same
 * architecture at random initialisation, each fine-tuned with a linear head on a labelled fraction
 * of the train split ({@link LabelSample}, {@link FineTune}) and scored on {@code eval.test-split}.
 * Writes {@code <run>/finetune-<fraction>.json}.
 */
public final class FinetuneStage {
    public static final String PRETRAINED = "pretrained";
    public static final String RANDOM_INIT = "random_init";

    private FinetuneStage() {
    }

    /** How a fraction is written in file names and report keys: 0.01, 0.1, 1.0. */
    public static String key(double fraction) {
        String s = BigDecimal.valueOf(fraction).stripTrailingZeros().toPlainString();
        return s.contains(".") ? s : s + ".0";
    }

    /** {@code <run>/finetune-<fraction>.json}. */
    public static FsDir file(FsDir runDir, double fraction) {
        return runDir.child("finetune-" + key(fraction) + ".json");
    }

    /** The evaluation's name in the report's failures and status: {@code finetune-<fraction>}. */
    public static String name(double fraction) {
        return "finetune-" + key(fraction);
    }

    /** Writes the report's status (the pipeline's report with its results so far). */
    @FunctionalInterface
    public interface Status {
        void write(String status) throws IOException;
    }

    /**
     * The pipeline's fine-tuning: each fraction of {@code eval.finetune.fractions} in turn, as one
     * evaluation named {@link #name} run through {@code step}. Results go to {@code results} under
     * the fraction's {@link #key} as they are made (so a fraction whose random-init half fails keeps
     * its pre-trained half); a failure is recorded in {@code failures} and the next fraction runs.
     */
    public static void inPipeline(SparkSession spark, PretextConfig cfg, String imagesDir, FsDir runDir,
                                  Map<String, Object> results, Map<String, String> failures,
                                  Pipeline.EvaluationStep step, Status status) throws IOException {
        for (double f : cfg.finetuneFractions) {
            String name = name(f);
            status.write("evaluating " + name);
            Map<String, Object> into = new LinkedHashMap<>();
            results.put(key(f), into);
            try {
                step.run(name, () -> run(spark, cfg, imagesDir, runDir, f, into));
            } catch (RuntimeException | Error e) {
                if (e instanceof Error && !(e instanceof OutOfMemoryError)) {
                    throw e;
                }
                String why = Failures.describe(e);
                failures.put(name, why);
                into.put("failure", why);
                System.err.println("pipeline: the " + name + " evaluation failed: " + why);
            }
        }
    }

    /**
     * Fine-tunes the run's encoder (and, with {@code eval.finetune.random-init}, a freshly
     * initialised one) on {@code fraction} of the labelled train split of {@code imagesDir}; fills
     * {@code into} (the JSON object of {@link #file}) and rewrites the file after each encoder.
     *
     * @throws UserError when the run has no checkpoint or the table has no labelled train or test images
     */
    public static Map<String, Object> run(SparkSession spark, PretextConfig cfg, String imagesDir, FsDir runDir,
                                          double fraction, Map<String, Object> into) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new UserError("finetune: the labels fraction must be in (0, 1], got " + fraction);
        }
        ComputationGraph pretrained = FeaturesStage.pretrained(runDir);   // no checkpoint: refused before any work
        Dataset<Row> images = ImagesTable.read(spark, imagesDir);
        Dataset<Row> labelled = images.where(col("label").geq(0).and(col("split").isin("train", cfg.testSplit)));
        Map<String, long[]> perSplit = new LinkedHashMap<>();
        for (Row r : labelled.groupBy("split").agg(count("*"), max("label")).collectAsList()) {
            perSplit.put(r.getString(0), new long[] {r.getLong(1), r.getInt(2)});
        }
        for (String split : List.of("train", cfg.testSplit)) {
            if (!perSplit.containsKey(split)) {
                throw new UserError("finetune: images table " + imagesDir + " has no labelled " + split + " images"
                        + " (label >= 0); fine-tuning trains on labelled train images and scores the "
                        + cfg.testSplit + " split (eval.test-split)");
            }
        }
        int classes = (int) Math.max(perSplit.get("train")[1], perSplit.get(cfg.testSplit)[1]) + 1;
        Dataset<Row> train = labelled.where(col("split").equalTo("train"));
        Dataset<Row> test = labelled.where(col("split").equalTo(cfg.testSplit));
        Dataset<Row> sample = LabelSample.sample(train, fraction, cfg.finetuneValFraction, cfg.seed)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> fit = LabelSample.rows(train, sample, LabelSample.TRAIN);
            Dataset<Row> validation = LabelSample.rows(train, sample, LabelSample.VALIDATION);
            FineTune.Settings s = settings(cfg);
            into.put("labels_fraction", fraction);
            into.put("labelled_train_images", perSplit.get("train")[0]);
            into.put("test_split", cfg.testSplit);
            into.put("test_images", perSplit.get(cfg.testSplit)[0]);
            into.put("classes", classes);
            into.put("epochs", s.epochs());
            into.put("batch_size", s.batchSize());
            into.put("lr", s.lr());
            into.put("val_fraction", cfg.finetuneValFraction);
            into.put("augment", Map.of("crop_scale_min", s.cropScaleMin(), "crop_scale_max", s.cropScaleMax(),
                    "flip_p", s.flipP()));
            into.put("seed", cfg.seed);
            into.put("method", cfg.methodName);
            into.put("backbone", cfg.backbone);
            into.put("width", cfg.width);
            linearProbe(runDir).ifPresent(p -> into.put("linear_probe", p));
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // the encoder the probes evaluate: the method's evaluation graph and layer (the context
            // autoencoder's 16 concatenated patch embeddings; the backbone's embedding otherwise)
            PretextMethod method = cfg.method();
            String layer = method.evaluationLayer();
            Row first = fit.select("height", "width").first();
            if (first == null) {
                throw new UserError("finetune: the " + key(fraction) + " sample of " + imagesDir + " holds no training"
                        + " images");
            }
            int h = first.getInt(0), w = first.getInt(1);
            String k = key(fraction);

            FineTune.Result p = FineTune.run(jsc, method.evaluationGraph(pretrained, cfg.backbone, cfg.width, h, w),
                    layer, classes, fit, validation, test, s,
                    "finetune " + k + " " + PRETRAINED, System.err);
            into.put("train_images", p.trainImages());
            into.put("validation_images", p.validationImages());
            into.put("batch_size", p.batchSize());
            into.put(PRETRAINED, p.toMap());
            write(runDir, fraction, into);

            if (cfg.finetuneRandomInit) {
                ComputationGraph fresh = method.evaluationGraph(FeaturesStage.randomInit(cfg, h, w), cfg.backbone,
                        cfg.width, h, w);
                FineTune.Result r = FineTune.run(jsc, fresh, layer, classes, fit, validation, test, s,
                        "finetune " + k + " " + RANDOM_INIT, System.err);
                into.put(RANDOM_INIT, r.toMap());
                write(runDir, fraction, into);
            }
            return into;
        } finally {
            sample.unpersist(false);
        }
    }

    /** {@link FineTune.Settings} of {@code eval.finetune.*} (and the run's workers, seed, normalisation). */
    public static FineTune.Settings settings(PretextConfig cfg) {
        return new FineTune.Settings(cfg.finetuneEpochs, cfg.finetuneBatchSize, cfg.finetuneLr,
                cfg.finetuneCropScaleMin, cfg.finetuneCropScaleMax, cfg.finetuneFlipP, cfg.workers,
                cfg.averagingFrequency, cfg.seed, cfg.mean, cfg.std);
    }

    /**
     * The run's frozen linear probe from its {@code report.json}, for comparison: top-1 / top-5 of
     * the pre-trained encoder and, when evaluated, of the random-init one; empty without a report.
     */
    public static java.util.Optional<Map<String, Object>> linearProbe(FsDir runDir) {
        FsDir report = runDir.child("report.json");
        try {
            if (!report.isFile()) {
                return java.util.Optional.empty();
            }
            JsonNode r = new ObjectMapper().readTree(report.readString());
            Map<String, Object> m = new LinkedHashMap<>();
            if (r.at("/probe/linear_top1").isNumber()) {
                m.put(PRETRAINED, Map.of("top1", r.at("/probe/linear_top1").asDouble(),
                        "top5", r.at("/probe/linear_top5").asDouble()));
            }
            if (r.at("/baselines/random_init/linear_top1").isNumber()) {
                m.put(RANDOM_INIT, Map.of("top1", r.at("/baselines/random_init/linear_top1").asDouble(),
                        "top5", r.at("/baselines/random_init/linear_top5").asDouble()));
            }
            return m.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(m);
        } catch (IOException e) {
            return java.util.Optional.empty();   // a report being rewritten: the comparison is optional
        }
    }

    static void write(FsDir runDir, double fraction, Map<String, Object> m) {
        try {
            file(runDir, fraction).writeAtomically(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(runDir, fraction), e);
        }
    }
}
