package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ChwTensors;
import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

import static org.apache.spark.sql.functions.col;

/**
 * Fine-tuning as an evaluation (DV2, the SSL lecture): the whole encoder of a trained graph (the
 * sub-graph up to its embedding layer, {@link EncoderSubgraph}) plus a new linear softmax head,
 * trained together on labelled images with the project's Spark trainer ({@code paramavg}), then
 * scored top-1 / top-5 on a test set.
 *
 * <p>What is trained: every parameter of the encoder (BatchNorm in training mode, its running
 * statistics updated) and the head, with Adam at one constant learning rate
 * ({@link Settings#lr}), no weight decay, for a fixed number of epochs of whole minibatches of
 * {@link Settings#batchSize} (each partition's incomplete last minibatch is dropped, as in
 * pre-training; the labelled images are spread over few partitions so that at most about 10% are).
 * Augmentation is light: a random resized crop of {@link Settings#cropScaleMin}..max of the area
 * and a horizontal flip ({@link SimClrAugment} with colour jitter, grayscale and blur off), one
 * view per image and epoch, seeded by (seed, image id, epoch).
 *
 * <p>Epoch selection: after every epoch the classifier scores the validation images (held out from
 * the labelled sample, {@link LabelSample}); the parameters of the epoch with the best validation
 * top-1 are kept and scored on the test set, and the last epoch's test scores are reported beside
 * them. A tie goes to the later epoch: a small validation set ties often, and with a short constant
 * schedule the later of two equal epochs has trained more. Without validation images the last epoch
 * is the selected one.
 */
public final class FineTune {
    /** Name of the linear softmax head added on top of the encoder. */
    public static final String HEAD = "finetune_head";
    /** Images per forward pass when scoring. */
    static final int SCORE_BATCH = 256;
    static final int MIN_BATCHES_PER_PARTITION = 10;
    /** Mixed into the run seed so that fine-tuning's views are not the pre-training views. */
    private static final long VIEW_STREAM = 0x46494E4554554E45L;

    private FineTune() {
    }

    /**
     * @param epochs             passes over the labelled training images
     * @param batchSize          images per minibatch (lowered to the training images when fewer)
     * @param lr                 Adam's learning rate, encoder and head alike (constant)
     * @param cropScaleMin       random resized crop: smallest area share
     * @param cropScaleMax       largest area share
     * @param flipP              probability of a horizontal flip
     * @param workers            paramavg workers
     * @param averagingFrequency paramavg: minibatches per worker between averagings
     * @param seed               head initialisation, batch order and views
     * @param mean               per-channel input normalisation, as the encoder was trained with
     * @param std                per-channel input normalisation
     */
    public record Settings(int epochs, int batchSize, double lr, double cropScaleMin, double cropScaleMax,
                           double flipP, int workers, int averagingFrequency, long seed, float[] mean, float[] std)
            implements Serializable {
        public Settings {
            if (epochs < 1) {
                throw new UserError("eval.finetune.epochs must be >= 1, got " + epochs);
            }
            if (batchSize < 2) {
                throw new UserError("eval.finetune.batch-size must be >= 2, got " + batchSize);
            }
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new UserError("eval.finetune.lr must be a finite number > 0, got " + lr);
            }
            if (mean == null || std == null || mean.length != 3 || std.length != 3) {
                throw new IllegalArgumentException("mean and std need 3 values each");
            }
            mean = mean.clone();
            std = std.clone();
            FineTune.augment(32, cropScaleMin, cropScaleMax, flipP);   // validates the crop and flip settings
        }

        /** The augmentation at the images' size: crop and flip only. */
        public AugmentSpec augment(int imageSize) {
            return FineTune.augment(imageSize, cropScaleMin, cropScaleMax, flipP);
        }
    }

    static AugmentSpec augment(int imageSize, double cropScaleMin, double cropScaleMax, double flipP) {
        try {
            return AugmentSpec.simclr(imageSize).withCropScale(cropScaleMin, cropScaleMax)
                    .withProbabilities(flipP, 0, 0, 0);
        } catch (UserError e) {
            throw new UserError(e.getMessage().replace("augment.", "eval.finetune.augment."), e);
        }
    }

    /**
     * How one encoder fared: test scores of the kept epoch and of the last, validation top-1 per
     * epoch, and the loss on a fixed training minibatch (first epoch's first, inference mode) after
     * each epoch.
     */
    public record Result(ProbeScores selected, ProbeScores last, int selectedEpoch, List<Double> validationTop1,
                         List<Double> trainLoss, long trainImages, long validationImages, int batchSize,
                         long stepsPerEpoch, double seconds) {
        /** The JSON object of {@code finetune-<fraction>.json} and the report. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("top1", selected.top1());
            m.put("top5", selected.top5());
            m.put("selected_epoch", selectedEpoch);
            m.put("last_top1", last.top1());
            m.put("last_top5", last.top5());
            m.put("test_images", selected.count());
            m.put("validation_top1", validationTop1);
            m.put("train_loss", trainLoss);
            m.put("steps_per_epoch", stepsPerEpoch);
            m.put("seconds", seconds);
            return m;
        }
    }

    /**
     * The classifier: a copy of {@code trained}'s encoder up to {@code embeddingLayer} (its
     * parameters and BatchNorm statistics), every layer set to Adam at {@code lr} without weight
     * decay, and a new linear softmax head of {@code classes} outputs ({@link #HEAD}, Xavier
     * initialisation from {@code seed}). The step and epoch counts start at 0.
     */
    public static ComputationGraph classifier(ComputationGraph trained, String embeddingLayer, int classes,
                                              int height, int width, double lr, long seed) {
        if (classes < 2) {
            throw new UserError("fine-tuning needs at least 2 classes, the labels give " + classes);
        }
        ComputationGraph encoder = EncoderSubgraph.extract(trained, List.of(embeddingLayer));
        if (encoder.getNumInputArrays() != 1) {
            throw new UserError("fine-tuning: the network must have exactly one input (the image), it has "
                    + encoder.getConfiguration().getNetworkInputs());
        }
        INDArray probe = Nd4j.zeros(encoder.params().dataType(), 1, 3, height, width);
        INDArray emb = encoder.output(false, probe)[0];
        if (emb.rank() != 2) {
            throw new UserError("fine-tuning: layer '" + embeddingLayer + "' gives activations of shape "
                    + java.util.Arrays.toString(emb.shape()) + "; a linear head needs a pooled vector [N, d]");
        }
        long dim = emb.size(1);

        ComputationGraphConfiguration conf = encoder.getConfiguration().clone();
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof BaseLayer layer) {
                layer.setIUpdater(new Adam(lr));
                layer.setBiasUpdater(null);
                layer.setRegularization(new ArrayList<>());
                layer.setRegularizationBias(new ArrayList<>());
            }
        }
        String in = "embedding_in";
        ComputationGraphConfiguration head = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(conf.getDataType()).updater(new Adam(lr)).weightInit(WeightInit.XAVIER)
                .graphBuilder().addInputs(in)
                .addLayer(HEAD, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(dim).nOut(classes).activation(Activation.SOFTMAX).build(), in)
                .setOutputs(HEAD).build();
        conf.getVertices().put(HEAD, head.getVertices().get(HEAD));
        conf.getVertexInputs().put(HEAD, List.of(embeddingLayer));
        conf.setNetworkOutputs(List.of(HEAD));
        conf.setTopologicalOrder(null);
        conf.setTopologicalOrderStr(null);
        conf.setIterationCount(0);
        conf.setEpochCount(0);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        for (Layer l : net.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            if (l.numParams() > 0 && !name.equals(HEAD)) {
                l.setParams(encoder.getLayer(name).params().dup());
            }
        }
        return net;
    }

    /**
     * Fine-tunes {@code trained}'s encoder with a new head on {@code train} (images-table rows,
     * labels in [0, classes)), picks the epoch on {@code validation} (may be empty) and scores
     * {@code test}. Progress lines start with {@code who}.
     */
    public static Result run(JavaSparkContext jsc, ComputationGraph trained, String embeddingLayer, int classes,
                             Dataset<Row> train, Dataset<Row> validation, Dataset<Row> test, Settings s,
                             String who, PrintStream progress) {
        long t0 = System.nanoTime();
        JavaRDD<ImageRecord> records = train.where(col("label").geq(0)).toJavaRDD().map(ImageRows::fromRow);
        long n = records.count();
        if (n < 2) {
            throw new UserError(who + ": " + n + " labelled training image(s) after the validation hold-out; fine-tuning"
                    + " needs at least 2 (raise the labels fraction)");
        }
        int b = (int) Math.min(s.batchSize(), n);
        int parts = (int) Math.max(1, Math.min(records.getNumPartitions(), n / ((long) MIN_BATCHES_PER_PARTITION * b)));
        JavaRDD<ImageRecord> cached = records.repartition(parts).persist(StorageLevel.MEMORY_ONLY());
        Dataset<Row> val = validation.where(col("label").geq(0)).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            List<Long> perPartition = cached.mapPartitions(it -> {
                long c = 0;
                while (it.hasNext()) {
                    ImageRecord r = it.next();
                    if (r.label() >= classes) {
                        throw new UserError("images table, record '" + r.id() + "': label " + r.label()
                                + " is outside the " + classes + " classes of the labels");
                    }
                    c++;
                }
                return List.of(c).iterator();
            }).collect();
            long steps = perPartition.stream().mapToLong(c -> c / b).sum();
            long validationImages = val.count();
            ImageRecord first = cached.first();
            AugmentSpec spec = s.augment(first.height());
            ComputationGraph net = classifier(trained, embeddingLayer, classes, spec.outputHeightFor(first.height()),
                    spec.outputWidthFor(first.width()), s.lr(), s.seed());
            progress.printf("%s: %d training images (%d minibatches of %d per epoch), %d validation images, %d classes,"
                            + " %d parameters, Adam %s, %d epochs%n", who, n, steps, b, validationImages, classes,
                    net.numParams(), s.lr(), s.epochs());
            PixelNormalization norm = PixelNormalization.of(s.mean(), s.std());
            TrainerSettings ts = TrainerSettings.of(s.workers(), b).withAveragingFrequency(s.averagingFrequency())
                    .withSeed(s.seed());
            List<Double> valTop1 = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            // DL4J's Spark masters leave the driver's score unset: the loss is measured on a fixed minibatch
            MultiDataSet monitor = batches(cached, 0, b, spec, s.mean(), s.std(), s.seed(), classes).first();
            INDArray best = null;
            double bestTop1 = -1;
            int bestEpoch = 0;
            try (DistributedTrainer trainer = DistributedTrainers.create("paramavg", ts, jsc)) {
                for (int e = 0; e < s.epochs(); e++) {
                    long te = System.nanoTime();
                    trainer.fitEpochChunk(net, batches(cached, e, b, spec, s.mean(), s.std(), s.seed(), classes));
                    double loss = net.score(monitor, false);
                    losses.add(Double.isFinite(loss) ? loss : Double.NaN);
                    if (!Double.isFinite(loss)) {
                        throw new UserError(who + ": the training loss became " + loss + " in epoch " + (e + 1)
                                + "; lower eval.finetune.lr (" + s.lr() + ")");
                    }
                    String line;
                    if (validationImages > 0) {
                        double top1 = score(net, val, norm).top1();
                        valTop1.add(top1);
                        if (top1 >= bestTop1) {
                            bestTop1 = top1;
                            bestEpoch = e + 1;
                            best = net.params().dup();
                        }
                        line = String.format(java.util.Locale.ROOT, "validation top-1 %.3f (best %.3f, epoch %d)",
                                top1, bestTop1, bestEpoch);
                    } else {
                        bestEpoch = e + 1;
                        line = "no validation images: the last epoch is kept";
                    }
                    progress.printf(java.util.Locale.ROOT, "%s: epoch %d/%d: loss %.4f, %s, %.1f s%n", who, e + 1,
                            s.epochs(), loss, line, (System.nanoTime() - te) / 1e9);
                }
            }
            ProbeScores last = score(net, test, norm);
            ProbeScores selected = last;
            if (best != null && bestEpoch != s.epochs()) {
                net.setParams(best);
                selected = score(net, test, norm);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            progress.printf(java.util.Locale.ROOT, "%s: test top-1 %.3f, top-5 %.3f (epoch %d of %d; last epoch %.3f /"
                            + " %.3f) on %d images in %.1f s%n", who, selected.top1(), selected.top5(), bestEpoch,
                    s.epochs(), last.top1(), last.top5(), selected.count(), seconds);
            return new Result(selected, last, bestEpoch, valTop1, losses, n, validationImages, b, steps, seconds);
        } finally {
            cached.unpersist(false);
            val.unpersist(false);
        }
    }

    /** Top-1 / top-5 of the classifier's softmax over labelled images, computed on the executors. */
    public static ProbeScores score(ComputationGraph classifier, Dataset<Row> images, PixelNormalization norm) {
        Dataset<Row> probs = new EncoderFeatures(classifier, HEAD, norm, SCORE_BATCH, false)
                .compute(images.where(col("label").geq(0)));
        return TopKAccuracy.score(probs, FeatureTable.VECTOR, FeatureTable.LABEL);
    }

    /**
     * One epoch's minibatches: each partition shuffled with a seed of (seed, epoch, partition), cut
     * into minibatches of exactly {@code b} (the incomplete tail dropped), one augmented view per image
     * with the seed {@link ViewSeeds#seed}(seed', id, epoch, 0); labels one-hot.
     */
    static JavaRDD<MultiDataSet> batches(JavaRDD<ImageRecord> images, int epoch, int b, AugmentSpec spec,
                                         float[] mean, float[] std, long seed, int classes) {
        final long viewSeed = seed ^ VIEW_STREAM;
        return images.mapPartitionsWithIndex((partition, it) -> {
            List<ImageRecord> part = new ArrayList<>();
            it.forEachRemaining(part::add);
            Collections.shuffle(part, new java.util.Random(new SplittableRandom(
                    seed * 1_000_003L + epoch * 7919L + partition).nextLong()));
            int count = part.size() / b;
            Iterator<MultiDataSet> out = new Iterator<>() {
                int next = 0;

                @Override
                public boolean hasNext() {
                    return next < count;
                }

                @Override
                public MultiDataSet next() {
                    if (next >= count) {
                        throw new NoSuchElementException();
                    }
                    List<ImageRecord> batch = part.subList(next * b, (next + 1) * b);
                    next++;
                    return assemble(batch, epoch, spec, mean, std, viewSeed, classes);
                }
            };
            return out;
        }, true);
    }

    /** One minibatch: NCHW normalised views and one-hot labels [b, classes]. */
    static MultiDataSet assemble(List<ImageRecord> batch, int epoch, AugmentSpec spec, float[] mean, float[] std,
                                 long viewSeed, int classes) {
        int b = batch.size();
        SimClrAugment aug = new SimClrAugment(spec);
        ImageRecord first = batch.get(0);
        int h = spec.outputHeightFor(first.height());
        int w = spec.outputWidthFor(first.width());
        int per = 3 * h * w;
        float[] x = new float[b * per];
        float[] y = new float[b * classes];
        for (int i = 0; i < b; i++) {
            ImageRecord img = batch.get(i);
            View v = aug.view(img, ViewSeeds.seed(viewSeed, img.id(), epoch, 0));
            if (v.height() != h || v.width() != w) {
                throw new UserError("image " + img.id() + " (" + img.source() + ") gives a " + v.height() + "x"
                        + v.width() + " view; expected " + h + "x" + w + " like the rest of the batch (fine-tuning"
                        + " needs one image size)");
            }
            ChwTensors.normalized(v, mean, std, x, i * per);
            if (img.label() < 0 || img.label() >= classes) {
                throw new UserError("images table, record '" + img.id() + "': label " + img.label()
                        + " is outside [0, " + classes + ")");
            }
            y[i * classes + img.label()] = 1f;
        }
        INDArray features = Nd4j.create(x, new long[] {b, 3, h, w}, 'c');
        INDArray labels = Nd4j.create(y, new long[] {b, classes}, 'c');
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, new INDArray[] {labels});
    }
}
