package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.ChwTensors;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;
import dev.pretext.train.BatchSource;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Minibatches of K augmented views per image, made on the fly inside the executors: per epoch, each
 * partition of the (cached) images is shuffled with a seed of (run seed, epoch, partition), cut into
 * batches of exactly {@code batchSize} source images (the partial tail is dropped, so no minibatch
 * is ever split or merged by the trainer), and view k of each image is made by the method's k-th
 * {@link ViewRecipe} with the seed {@link ViewSeeds#seed}(run seed, id, epoch, d), d = the method's
 * {@link PretextMethod#drawIndex}(k) (k unless views share a draw): the same pure function that
 * materialises the views table, so both modes give identical pixels. All K views of an image are
 * made together and go into the same minibatch, for any K.
 */
public final class ViewsBatchSource implements BatchSource {
    static final int MIN_BATCHES_PER_PARTITION = 10;
    private final JavaRDD<Example> images;
    private final long imagesPerEpoch;
    private final int batchSize;
    private final List<ViewRecipe> recipes;
    private final float[] mean;
    private final float[] std;
    private final long seed;
    private final PretextMethod method;

    /**
     * @param images  the pre-training images (raw uint8 HWC, all the same size); cached here
     * @param base    the augmentation of {@code augment.*}, which the method's recipes start from
     */
    public ViewsBatchSource(JavaRDD<ImageRecord> images, int batchSize, AugmentSpec base, float[] mean,
                            float[] std, long seed, PretextMethod method) {
        this(images.map(i -> new Example(i, NO_REPRESENTATIONS)), StorageLevel.MEMORY_ONLY(), batchSize, base, mean,
                std, seed, method);
    }

    /**
     * For a method that reads {@link PretextMethod#representations()}: every image with its
     * representation vectors, in the method's column order (the pipeline joins them by id). They are
     * cached on the executors' local disks only: descriptors can be many times the size of the pixels
     * (~0.9 MB per 96 x 96 image with MV-MR's five), and a serialised copy in the heap's storage
     * memory beside the partition being trained would double what the heap holds.
     */
    public static ViewsBatchSource withRepresentations(JavaRDD<Example> examples, int batchSize, AugmentSpec base,
                                                       float[] mean, float[] std, long seed, PretextMethod method) {
        return new ViewsBatchSource(examples, StorageLevel.DISK_ONLY(), batchSize, base, mean, std, seed,
                method);
    }

    /** An image and its representation vectors (none for most methods). */
    public record Example(ImageRecord image, float[][] representations) implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
    }

    private static final float[][] NO_REPRESENTATIONS = new float[0][];

    private ViewsBatchSource(JavaRDD<Example> images, StorageLevel level, int batchSize, AugmentSpec base,
                             float[] mean, float[] std, long seed, PretextMethod method) {
        this.batchSize = batchSize;
        this.recipes = List.copyOf(method.views(base));
        if (recipes.isEmpty()) {
            throw new IllegalArgumentException("method " + method.name() + " declares no views");
        }
        for (int k = 0; k < recipes.size(); k++) {
            int d = method.drawIndex(k);
            if (d < 0 || d >= recipes.size()) {
                throw new IllegalArgumentException("method " + method.name() + ": view " + k + " is drawn as view " + d
                        + ", outside its " + recipes.size() + " views");
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
        this.seed = seed;
        this.method = method;
        JavaRDD<Example> cached = images.persist(level);
        List<Long> perPartition = FixedBatches.perPartition(cached);
        long total = perPartition.stream().mapToLong(Long::longValue).sum();
        if (total < batchSize) {
            throw new UserError("pre-training needs at least train.batch-size = " + batchSize
                    + " images; the pre-training splits hold " + total + " (lower train.batch-size)");
        }
        // A partition smaller than a minibatch yields no batch, and a chunk made only of such
        // partitions would be an empty fit (DL4J's parameter averaging fails on it); and each
        // partition drops its incomplete last batch, which on small data in many partitions is a
        // large share (1,500 STL-10 images in 8 partitions lost 476). Such data is spread evenly
        // over fewer partitions of at least MIN_BATCHES_PER_PARTITION minibatches (at most 10% dropped).
        JavaRDD<Example> balanced = cached;
        long usableBefore = perPartition.stream().mapToLong(n -> (n / batchSize) * batchSize).sum();
        if (perPartition.stream().anyMatch(n -> n < batchSize) || usableBefore < 0.9 * total) {
            int before = perPartition.size();
            int parts = (int) Math.max(1, Math.min(before, total / ((long) MIN_BATCHES_PER_PARTITION * batchSize)));
            balanced = cached.repartition(parts).persist(level);
            perPartition = FixedBatches.perPartition(balanced);
            cached.unpersist(false);
            System.err.printf("pretrain: %d images were in %d partitions, too small for whole minibatches of %d;"
                    + " spread over %d partitions%n", total, before, batchSize, parts);
        }
        this.images = balanced;
        long usable = 0;
        for (long n : perPartition) {
            usable += (n / batchSize) * batchSize;
        }
        if (usable == 0) {
            throw new UserError("pre-training needs at least train.batch-size = " + batchSize
                    + " images in one partition; the pre-training splits hold " + total + " images in "
                    + perPartition.size() + " partitions (lower train.batch-size or use fewer data.shards)");
        }
        this.imagesPerEpoch = usable;
    }

    @Override
    public JavaRDD<MultiDataSet> epoch(int epoch) {
        final int b = batchSize;
        final List<ViewRecipe> rs = recipes;
        final float[] m = mean;
        final float[] s = std;
        final long base = seed;
        final PretextMethod meth = method;
        return images.mapPartitionsWithIndex((partition, it) -> {
            List<Example> part = new ArrayList<>();
            it.forEachRemaining(part::add);
            Collections.shuffle(part, new java.util.Random(new SplittableRandom(
                    base * 1_000_003L + epoch * 7919L + partition).nextLong()));
            return batches(part, epoch, b, rs, m, s, base, meth);
        }, true);
    }

    @Override
    public long imagesPerEpoch() {
        return imagesPerEpoch;
    }

    /** The recipes of the K views, in view order. */
    public List<ViewRecipe> recipes() {
        return recipes;
    }

    /** The batches of one partition, built lazily so a partition never holds more than one batch of pixels. */
    static Iterator<MultiDataSet> batches(List<Example> part, int epoch, int b, List<ViewRecipe> recipes,
                                          float[] mean, float[] std, long base, PretextMethod method) {
        return FixedBatches.of(part, b, batch -> assemble(batch, epoch, recipes, mean, std, base, method));
    }

    /** The K views of each image of {@code batch} (and its representations) as one minibatch. */
    public static MultiDataSet assemble(List<Example> batch, int epoch, List<ViewRecipe> recipes, float[] mean,
                                        float[] std, long base, PretextMethod method) {
        int b = batch.size();
        int k = recipes.size();
        ImageRecord first = batch.get(0).image();
        int h = recipes.get(0).spec().outputHeightFor(first.height());
        int w = recipes.get(0).spec().outputWidthFor(first.width());
        int per = 3 * h * w;
        float[][] views = new float[k][b * per];
        int columns = batch.get(0).representations().length;
        float[][] reps = new float[columns][];
        for (int c = 0; c < columns; c++) {
            reps[c] = new float[b * batch.get(0).representations()[c].length];
        }
        for (int i = 0; i < b; i++) {
            ImageRecord img = batch.get(i).image();
            for (int v = 0; v < k; v++) {
                View view = recipes.get(v).view(img, ViewSeeds.seed(base, img.id(), epoch, method.drawIndex(v)));
                if (view.height() != h || view.width() != w) {
                    throw new UserError("image " + img.id() + " (" + img.source() + ") gives a " + view.height() + "x"
                            + view.width() + " view; expected " + h + "x" + w + " like the rest of the batch");
                }
                ChwTensors.normalized(view, mean, std, views[v], i * per);
            }
            float[][] r = batch.get(i).representations();
            if (r.length != columns) {
                throw new IllegalStateException("image " + img.id() + " has " + r.length + " representations; expected "
                        + columns);
            }
            for (int c = 0; c < columns; c++) {
                int d = reps[c].length / b;
                if (r[c].length != d) {
                    throw new UserError("image " + img.id() + ": representation " + c + " has " + r[c].length
                            + " values; the batch's first image has " + d);
                }
                System.arraycopy(r[c], 0, reps[c], i * d, d);
            }
        }
        return method.assemble(views, reps, b, h, w);
    }
}
