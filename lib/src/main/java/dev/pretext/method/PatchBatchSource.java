package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import dev.pretext.patches.ImagePatcher;
import dev.pretext.patches.PatchRecord;
import dev.pretext.patches.PatchSettings;
import dev.pretext.train.BatchSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Minibatches of a {@link PatchMethod}, made inside the executors: per epoch each partition of the
 * (cached) examples is shuffled with a seed of (run seed, epoch, partition) and cut into batches of
 * exactly {@code batchSize} images (the partial tail is dropped); the method assembles each batch
 * with a generator seeded by (run seed, epoch, partition, batch). The patches are either
 * <ul>
 *   <li>cut on the fly ({@link #PatchBatchSource}): every image is cut into the method's grid by the
 *       patches stage's {@link ImagePatcher} (the same pure function of (image, settings) that writes
 *       the patches table), with the settings' seed mixed with the epoch so that jitter and views
 *       change every epoch; or</li>
 *   <li>read from a patches table ({@link #stored}): each image's rows as stored, the same every
 *       epoch.</li>
 * </ul>
 */
public final class PatchBatchSource implements BatchSource {
    private final JavaRDD<ImageRecord> images;
    private final JavaRDD<List<PatchRecord>> stored;
    private final long imagesPerEpoch;
    private final int batchSize;
    private final PatchSettings settings;
    private final float[] mean;
    private final float[] std;
    private final long seed;
    private final PatchMethod method;

    /** Patches cut on the fly from {@code images} (raw, png or jpeg records; cached here). */
    public PatchBatchSource(JavaRDD<ImageRecord> images, int batchSize, AugmentSpec augment, float[] mean,
                            float[] std, long seed, PatchMethod method) {
        this(images, null, batchSize, augment, mean, std, seed, method);
    }

    /** Patches read from a table: {@code grouped} holds each image's rows (in view order); cached here. */
    public static PatchBatchSource stored(JavaRDD<List<PatchRecord>> grouped, int batchSize, AugmentSpec augment,
                                          float[] mean, float[] std, long seed, PatchMethod method) {
        return new PatchBatchSource(null, grouped, batchSize, augment, mean, std, seed, method);
    }

    private PatchBatchSource(JavaRDD<ImageRecord> images, JavaRDD<List<PatchRecord>> stored, int batchSize,
                             AugmentSpec augment, float[] mean, float[] std, long seed, PatchMethod method) {
        this.batchSize = batchSize;
        this.settings = method.patchSettings(augment, seed);
        this.mean = mean.clone();
        this.std = std.clone();
        this.seed = seed;
        this.method = method;
        long[] usable = new long[1];
        this.images = images == null ? null : balance(images, batchSize, usable);
        this.stored = stored == null ? null : balance(stored, batchSize, usable);
        this.imagesPerEpoch = usable[0];
    }

    /** Cached, spread over fewer partitions when they are too small for whole batches; {@code usable[0]} = images used per epoch. */
    private static <T> JavaRDD<T> balance(JavaRDD<T> rdd, int batchSize, long[] usable) {
        JavaRDD<T> cached = rdd.cache();
        List<Long> perPartition = FixedBatches.perPartition(cached);
        long total = perPartition.stream().mapToLong(Long::longValue).sum();
        JavaRDD<T> balanced = cached;
        long use = perPartition.stream().mapToLong(n -> (n / batchSize) * batchSize).sum();
        if (perPartition.stream().anyMatch(n -> n < batchSize) || use < 0.9 * total) {
            int parts = (int) Math.max(1, Math.min(perPartition.size(),
                    total / ((long) ViewsBatchSource.MIN_BATCHES_PER_PARTITION * batchSize)));
            balanced = cached.repartition(parts).cache();
            use = FixedBatches.perPartition(balanced).stream().mapToLong(n -> (n / batchSize) * batchSize).sum();
            cached.unpersist(false);
        }
        if (use == 0) {
            throw new UserError("pre-training needs at least train.batch-size = " + batchSize
                    + " images; the pre-training splits hold " + total + " (lower train.batch-size)");
        }
        usable[0] = use;
        return balanced;
    }

    @Override
    public JavaRDD<MultiDataSet> epoch(int epoch) {
        final int b = batchSize;
        final PatchSettings s = settings.withSeed(settings.seed() * 1_000_003L + epoch);
        final float[] m = mean;
        final float[] sd = std;
        final long base = seed;
        final PatchMethod meth = method;
        if (stored != null) {
            return stored.mapPartitionsWithIndex((partition, it) -> batches(it, partition, epoch, b, base,
                    rows -> rows, meth, m, sd), true);
        }
        return images.mapPartitionsWithIndex((partition, it) -> {
            ImagePatcher patcher = new ImagePatcher(s);
            return batches(it, partition, epoch, b, base, patcher::patch, meth, m, sd);
        }, true);
    }

    private static <T> java.util.Iterator<MultiDataSet> batches(java.util.Iterator<T> it, int partition, int epoch,
                                                                int b, long base, Function<T, List<PatchRecord>> rowsOf,
                                                                PatchMethod method, float[] mean, float[] std) {
        List<T> part = new ArrayList<>();
        it.forEachRemaining(part::add);
        Collections.shuffle(part, new java.util.Random(new SplittableRandom(
                base * 1_000_003L + epoch * 7919L + partition).nextLong()));
        int[] index = {0};
        return FixedBatches.of(part, b, batch -> {
            List<List<PatchRecord>> rows = new ArrayList<>(batch.size());
            for (T x : batch) {
                rows.add(rowsOf.apply(x));
            }
            SplittableRandom rng = new SplittableRandom(((base * 31 + epoch) * 31 + partition) * 1_000_003L
                    + index[0]++);
            return method.assemblePatches(rows, mean, std, rng);
        });
    }

    @Override
    public long imagesPerEpoch() {
        return imagesPerEpoch;
    }
}
