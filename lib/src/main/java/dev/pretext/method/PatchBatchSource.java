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
import org.apache.spark.api.java.JavaRDD;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Minibatches of a {@link PatchMethod}, made on the fly inside the executors: per epoch each
 * partition of the (cached) images is shuffled with a seed of (run seed, epoch, partition), cut
 * into batches of exactly {@code batchSize} images (the partial tail is dropped), every image is cut
 * into the method's grid by the patches stage's {@link ImagePatcher} (the same pure function of
 * (image, settings) that writes the patches table), with the settings' seed mixed with the epoch so
 * that jitter and views change every epoch, and the method assembles the batch with a generator
 * seeded by (run seed, epoch, partition, batch).
 */
public final class PatchBatchSource implements BatchSource {
    private final JavaRDD<ImageRecord> images;
    private final long imagesPerEpoch;
    private final int batchSize;
    private final PatchSettings settings;
    private final float[] mean;
    private final float[] std;
    private final long seed;
    private final PatchMethod method;

    public PatchBatchSource(JavaRDD<ImageRecord> images, int batchSize, AugmentSpec augment, float[] mean,
                            float[] std, long seed, PatchMethod method) {
        this.batchSize = batchSize;
        this.settings = method.patchSettings(augment, seed);
        this.mean = mean.clone();
        this.std = std.clone();
        this.seed = seed;
        this.method = method;
        JavaRDD<ImageRecord> cached = images.cache();
        List<Long> perPartition = cached.mapPartitions(it -> {
            long n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(n).iterator();
        }).collect();
        long total = perPartition.stream().mapToLong(Long::longValue).sum();
        JavaRDD<ImageRecord> balanced = cached;
        long usable = perPartition.stream().mapToLong(n -> (n / batchSize) * batchSize).sum();
        if (perPartition.stream().anyMatch(n -> n < batchSize) || usable < 0.9 * total) {
            int parts = (int) Math.max(1, Math.min(perPartition.size(),
                    total / ((long) ViewsBatchSource.MIN_BATCHES_PER_PARTITION * batchSize)));
            balanced = cached.repartition(parts).cache();
            long per = total / parts;
            usable = parts * (per / batchSize) * batchSize;
            cached.unpersist(false);
        }
        if (usable == 0) {
            throw new UserError("pre-training needs at least train.batch-size = " + batchSize
                    + " images; the pre-training splits hold " + total + " (lower train.batch-size)");
        }
        this.images = balanced;
        this.imagesPerEpoch = usable;
    }

    @Override
    public JavaRDD<MultiDataSet> epoch(int epoch) {
        final int b = batchSize;
        final PatchSettings s = settings.withSeed(settings.seed() * 1_000_003L + epoch);
        final float[] m = mean;
        final float[] sd = std;
        final long base = seed;
        final PatchMethod meth = method;
        return images.mapPartitionsWithIndex((partition, it) -> {
            List<ImageRecord> part = new ArrayList<>();
            it.forEachRemaining(part::add);
            Collections.shuffle(part, new java.util.Random(new SplittableRandom(
                    base * 1_000_003L + epoch * 7919L + partition).nextLong()));
            ImagePatcher patcher = new ImagePatcher(s);
            int[] index = {0};
            return FixedBatches.of(part, b, batch -> {
                List<List<PatchRecord>> rows = new ArrayList<>(batch.size());
                for (ImageRecord img : batch) {
                    rows.add(patcher.patch(img));
                }
                SplittableRandom rng = new SplittableRandom(((base * 31 + epoch) * 31 + partition) * 1_000_003L
                        + index[0]++);
                return meth.assemblePatches(rows, m, sd, rng);
            });
        }, true);
    }

    @Override
    public long imagesPerEpoch() {
        return imagesPerEpoch;
    }
}
