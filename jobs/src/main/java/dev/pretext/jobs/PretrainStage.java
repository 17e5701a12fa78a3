package dev.pretext.jobs;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.FsDir;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImagesTable;
import dev.pretext.method.ModelSpec;
import dev.pretext.method.PretextMethod;
import dev.pretext.method.PatchBatchSource;
import dev.pretext.method.PatchMethod;
import dev.pretext.method.RepresentationJoin;
import dev.pretext.method.ViewsBatchSource;
import dev.pretext.method.StoredViewsBatchSource;
import dev.pretext.train.BatchSource;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.Optimizer;
import dev.pretext.train.Optimizers;
import dev.pretext.train.RunSummary;
import dev.pretext.train.TrainerSettings;
import dev.pretext.train.TrainingRun;
import dev.pretext.train.WarmupCosineSchedule;
import dev.pretext.train.BudgetSchedule;
import dev.pretext.eval.KnnMonitor;
import dev.pretext.eval.PixelNormalization;
import org.nd4j.linalg.schedule.ISchedule;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code pretrain} stage: images table (+ views table) to a trained run directory. */
public final class PretrainStage {
    private PretrainStage() {
    }

    static final int FIRST_GUESS_CHUNKS = 10;

    /** The augmentation the config describes, at the images' own size. */
    public static AugmentSpec augmentSpec(PretextConfig cfg, int imageSize) {
        return AugmentSpec.simclr(imageSize)
                .withCropScale(cfg.cropScaleMin, cfg.cropScaleMax)
                .withProbabilities(cfg.flipP, cfg.jitterP, cfg.grayscaleP, cfg.blurP)
                .withJitter(cfg.brightness, cfg.contrast, cfg.saturation, cfg.hue);
    }

    /** Reads the pre-training splits of an images table (labels are never used). */
    public static JavaRDD<ImageRecord> pretrainImages(SparkSession spark, PretextConfig cfg, String imagesDir) {
        JavaRDD<ImageRecord> all = null;
        for (String split : cfg.pretrainSplits) {
            JavaRDD<ImageRecord> r = ImagesTable.readRecords(spark, imagesDir, split);
            all = all == null ? r : all.union(r);
        }
        // A chunk is a range of partitions: with fewer partitions than chunks per epoch x workers
        // (Spark packs a small table into a few read tasks: 50,000 CIFAR images are 2), the
        // progress, the kNN monitor and the time budget would only be seen a few times an epoch.
        int want = cfg.chunksPerEpoch * cfg.workers;
        if (all != null && all.getNumPartitions() < want) {
            all = all.repartition(want);
        }
        return all;
    }

    /**
     * The rows of {@code data.patches} for the pre-training splits, grouped per image (in view
     * order), after checking that the table was cut from these images with the method's grid.
     */
    static JavaRDD<List<dev.pretext.patches.PatchRecord>> storedPatches(SparkSession spark, PretextConfig cfg,
                                                                      PatchMethod method, AugmentSpec augment,
                                                                      String imagesDir) {
        String dir = cfg.dataPatches;
        dev.pretext.data.Manifest m = dev.pretext.patches.PatchesTable.manifest(spark, dir);
        dev.pretext.patches.PatchSettings want = method.patchSettings(augment, cfg.seed);
        List<String> problems = dev.pretext.patches.PatchesTable.mismatches(m, want,
                ImagesTable.fingerprint(spark, imagesDir), ImagesTable.manifest(spark, imagesDir).counts(),
                cfg.pretrainSplits);
        if (!problems.isEmpty()) {
            throw new UserError("data.patches " + dir + " does not match this run: " + String.join("; ", problems)
                    + ". Cut one for these images (bin/pretext patches --images " + imagesDir + " --grid "
                    + want.grid() + " --gap " + want.gap() + " --jitter " + want.jitter() + " ...) or leave data.patches"
                    + " empty to cut patches on the fly");
        }
        System.err.printf("pretrain: patches from %s (%s), the same every epoch%n", dir, cfg.pretrainSplits);
        JavaRDD<dev.pretext.patches.PatchRecord> rows = null;
        for (String split : cfg.pretrainSplits) {
            JavaRDD<dev.pretext.patches.PatchRecord> r = dev.pretext.patches.PatchesTable.readRecords(spark, dir, split);
            rows = rows == null ? r : rows.union(r);
        }
        int want_ = cfg.chunksPerEpoch * cfg.workers;
        return rows.groupBy(dev.pretext.patches.PatchRecord::id, Math.max(want_, rows.getNumPartitions()))
                .values().map(it -> {
                    List<dev.pretext.patches.PatchRecord> l = new ArrayList<>();
                    it.forEach(l::add);
                    l.sort(java.util.Comparator.comparingInt(dev.pretext.patches.PatchRecord::view));
                    return l;
                });
    }

    /** The graph the config describes, with the optimiser, schedule and weight decay in place. */
    public static ComputationGraph buildNet(PretextConfig cfg, PretextMethod method, int height, int width,
                                            long totalSteps, long warmupSteps) {
        return buildNet(cfg, method, height, width,
                new WarmupCosineSchedule(Math.max(1, totalSteps), warmupSteps, cfg.lr, 0.0));
    }

    /**
     * The learning-rate schedule of a run: over the epochs, or (with {@code train.max-seconds})
     * fitted to the budget as the run goes ({@link BudgetSchedule}, first estimate = the epochs'
     * total, warm-up the same share of the run as {@code warmup-epochs} of {@code epochs}).
     */
    public static ISchedule schedule(PretextConfig cfg, long totalSteps, long warmupSteps, long stepsPerChunk) {
        long total = Math.max(1, totalSteps);
        if (cfg.maxSeconds > 0) {
            double share = Math.min(0.5, Math.min(warmupSteps, total) / (double) total);
            // Until the first chunk has measured the throughput, assume the budget holds ten chunks:
            // the warm-up then starts at once instead of crawling along the epochs' long schedule.
            long guess = Math.min(total, Math.max(1, FIRST_GUESS_CHUNKS * stepsPerChunk));
            return BudgetSchedule.start(share, cfg.lr, 0.0, guess);
        }
        return new WarmupCosineSchedule(total, Math.min(warmupSteps, total), cfg.lr, 0.0);
    }

    public static ComputationGraph buildNet(PretextConfig cfg, PretextMethod method, int height, int width,
                                            ISchedule schedule) {
        Optimizer opt = Optimizers.create(cfg.optimizer, cfg.lr, cfg.weightDecay, schedule);
        ModelSpec spec = new ModelSpec(cfg.backbone, cfg.width, height, width, cfg.projectionDim,
                cfg.projectionHidden, opt.updater(), 0.0);
        ComputationGraphConfiguration conf = method.configuration(spec, cfg.seed);
        opt.applyTo(conf);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        method.initialise(net);
        return net;
    }

    /**
     * The trainer's settings for a run: the config's workers, averaging frequency and seed, the
     * method's per-step hooks, and the minibatch in rows (every source image gives the method's
     * rows, e.g. two views).
     */
    public static TrainerSettings trainerSettings(PretextConfig cfg, PretextMethod method, AugmentSpec augment) {
        return TrainerSettings.of(cfg.workers, method.rowsPerImage(augment) * cfg.batchSize)
                .withAveragingFrequency(cfg.averagingFrequency).withSeed(cfg.seed).withHooks(method.stepHooks());
    }

    /** The kNN monitor of the run, or null when {@code eval.monitor.*-images} is 0 or there are no labels. */
    static KnnMonitor knnMonitor(SparkSession spark, PretextConfig cfg, String imagesDir, PretextMethod method) {
        if (cfg.monitorTrainImages == 0 || cfg.monitorTestImages == 0) {
            return null;
        }
        Map<String, Long> counts = ImagesTable.countBySplit(spark, imagesDir, List.of("train", cfg.testSplit));
        if (counts.getOrDefault("train", 0L) == 0 || counts.getOrDefault(cfg.testSplit, 0L) == 0) {
            System.err.println("pretrain: kNN monitor off: no labelled train and " + cfg.testSplit + " images");
            return null;
        }
        long t0 = System.nanoTime();
        KnnMonitor m = KnnMonitor.sample(ImagesTable.read(spark, imagesDir), cfg.testSplit, cfg.monitorTrainImages,
                cfg.monitorTestImages, cfg.seed, PixelNormalization.of(cfg.mean, cfg.std), method.encoderLayer(),
                Math.min(cfg.knnK, 20), cfg.knnTemperature);
        // a training graph with inputs besides the image (Selfie's keep mask; DV2's self-attention) embeds
        // whole images through the method's evaluation graph
        m.withView((trained, h, w) -> trained.getNumInputArrays() == 1 ? trained
                : method.evaluationGraph(trained, cfg.backbone, cfg.width, h, w));
        System.err.printf("pretrain: %s (sampled in %.1f s)%n", m, (System.nanoTime() - t0) / 1e9);
        return m;
    }

    /**
     * Trains (or resumes) into {@code runDir}. {@code viewsDir} is the materialised views table when
     * {@code augment.mode = materialised}, else null.
     */
    public static RunSummary run(SparkSession spark, PretextConfig cfg, String imagesDir, String viewsDir,
                                 Path runDir, boolean resume) {
        return run(spark, cfg, imagesDir, viewsDir, FsDir.local(runDir), resume);
    }

    /** {@link #run(SparkSession, PretextConfig, String, String, Path, boolean)} into a run directory on any file system. */
    public static RunSummary run(SparkSession spark, PretextConfig cfg, String imagesDir, String viewsDir,
                                 FsDir runDir, boolean resume) {
        return run(spark, cfg, imagesDir, viewsDir, runDir, resume, net -> { });
    }

    /**
     * As above; {@code initialise} is given the freshly built network before training starts (and
     * before a resume loads a checkpoint into it): {@code retrain} loads the champion's weights and
     * optimiser state there ({@link Retrain#warmStart}).
     */
    public static RunSummary run(SparkSession spark, PretextConfig cfg, String imagesDir, String viewsDir,
                                 FsDir runDir, boolean resume, java.util.function.Consumer<ComputationGraph> initialise) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        PretextMethod method = cfg.method();
        method.refusal(cfg.trainer, cfg.workers).ifPresent(why -> {
            throw new UserError(why);
        });
        boolean reads = !method.representations().isEmpty();
        if (reads && viewsDir != null) {
            throw new UserError("method " + method.name() + " reads per-image representations, which a materialised"
                    + " views table does not hold: use augment.mode = on-the-fly");
        }
        JavaRDD<ImageRecord> images = pretrainImages(spark, cfg, imagesDir);
        ImageRecord first = images.take(1).stream().findFirst().orElseThrow(() -> new UserError(
                "images table " + imagesDir + " has no images in the pre-training splits " + cfg.pretrainSplits));
        AugmentSpec augment = augmentSpec(cfg, first.height());
        Phase prepare = Phase.start("pretrain", reads ? "joining the images to their representations and caching them"
                : "preparing the training examples (reading and caching the images)");
        BatchSource source;
        if (method instanceof PatchMethod pm) {
            if (viewsDir != null) {
                throw new UserError("method " + method.name() + " trains on patches cut on the fly: use augment.mode ="
                        + " on-the-fly");
            }
            source = cfg.dataPatches.isEmpty()
                    ? new PatchBatchSource(images, cfg.batchSize, augment, cfg.mean, cfg.std, cfg.seed, pm)
                    : PatchBatchSource.stored(storedPatches(spark, cfg, pm, augment, imagesDir), cfg.batchSize, augment,
                            cfg.mean, cfg.std, cfg.seed, pm);
        } else if (reads) {
            DescribeStage.Table table = DescribeStage.forMethod(spark, cfg, method, imagesDir, runDir);
            method = method.withRepresentationWidths(table.widths());
            source = ViewsBatchSource.withRepresentations(RepresentationJoin.join(spark, images, table.dir(), table.columns()),
                    cfg.batchSize, augment, cfg.mean, cfg.std, cfg.seed, method);
        } else if (viewsDir == null) {
            source = new ViewsBatchSource(images, cfg.batchSize, augment, cfg.mean, cfg.std, cfg.seed, method);
        } else {
            source = new StoredViewsBatchSource(spark, viewsDir, cfg.batchSize, cfg.mean, cfg.std, method, augment);
        }
        prepare.done(source.imagesPerEpoch() + " images per epoch");
        long batchesPerEpoch = source.imagesPerEpoch() / cfg.batchSize;
        long stepsPerEpoch = (batchesPerEpoch + cfg.workers - 1) / cfg.workers;
        long total = stepsPerEpoch * cfg.epochs;
        long warmup = Math.round(stepsPerEpoch * cfg.warmupEpochs);
        int[] size = method.inputSize(augment, first.height(), first.width());
        int h = size[0];
        int w = size[1];
        ComputationGraph net = buildNet(cfg, method, h, w, schedule(cfg, total, warmup,
                Math.max(1, stepsPerEpoch / Math.max(1, cfg.chunksPerEpoch))));
        if (cfg.maxSeconds > 0 && cfg.trainer.equals("shared")) {
            System.err.println("pretrain: note: under train.trainer = shared the workers keep the schedule they"
                    + " started with, so the learning rate follows the epochs' schedule, not one fitted to the"
                    + " budget (use paramavg for a budget-fitted schedule)");
        }
        System.err.printf("pretrain: %s, %s width %s, %d params, %d images/epoch in %d minibatches of %d, "
                        + "trainer %s x%d, %d epochs%s%n",
                method.name(), cfg.backbone, cfg.width, net.numParams(), source.imagesPerEpoch(), batchesPerEpoch,
                cfg.batchSize, cfg.trainer, cfg.workers, cfg.epochs,
                cfg.maxSeconds > 0 ? ", budget " + (long) cfg.maxSeconds + " s" : "");
        initialise.accept(net);
        MultiDataSet monitor = source.epoch(0).first();
        TrainerSettings settings = trainerSettings(cfg, method, augment);
        try (DistributedTrainer trainer = DistributedTrainers.create(cfg.trainer, settings, jsc)) {
            return TrainingRun.builder()
                    .net(net).source(source).trainer(trainer)
                    .epochs(cfg.epochs).maxSeconds(cfg.maxSeconds > 0 ? cfg.maxSeconds : Double.MAX_VALUE)
                    .runDir(runDir).monitorBatch(monitor).embeddingLayer(method.encoderLayer())
                    .chunksPerEpoch(cfg.chunksPerEpoch).resume(resume).seed(cfg.seed)
                    .epochBoundedSteps(total).encoderMonitor(knnMonitor(spark, cfg, imagesDir, method))
                    .progress(System.err)
                    .build().run();
        } catch (Exception e) {
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new RuntimeException(e);
        }
    }

}
