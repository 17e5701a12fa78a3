package dev.pretext.cli;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImageRecord;
import dev.pretext.method.PretextMethod;
import dev.pretext.method.ViewsBatchSource;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training steps of one network outside Spark, timed on the calling thread: minibatches made from
 * images by the method's view recipes and {@link ViewsBatchSource#assemble} (the code a run's
 * executors use), then {@code net.fit} on each. {@code bench} (its one-network row), {@code bench
 * profile} (its phase table) and {@code bench memory} time their steps with it.
 */
final class SingleNetworkSteps {
    private SingleNetworkSteps() {
    }

    /** Seeded noise, {@code size} x {@code size} RGB: the cost of a step does not depend on the pixels. */
    static ImageRecord noise(String id, int size, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] d = new byte[size * size * 3];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) rng.nextInt(256);
        }
        return new ImageRecord(id, "train", 0, -1, size, size, 3, ImageRecord.RAW, d, "bench");
    }

    /** {@code steps} minibatches of {@code batch} noise images of 32 x 32, each image its own seed. */
    static List<List<ViewsBatchSource.Example>> noiseBatches(int steps, int batch) {
        List<ImageRecord> images = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < batch; i++) {
                images.add(noise("p" + s + "-" + i, 32, 1000L * s + i));
            }
        }
        return batches(images, steps, batch);
    }

    /** The first {@code steps} x {@code batch} images, in order, as {@code steps} minibatches. */
    static List<List<ViewsBatchSource.Example>> batches(List<ImageRecord> images, int steps, int batch) {
        if (images.size() < (long) steps * batch) {
            throw new IllegalArgumentException(steps + " minibatches of " + batch + " need " + (long) steps * batch
                    + " images; got " + images.size());
        }
        List<List<ViewsBatchSource.Example>> out = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            List<ViewsBatchSource.Example> b = new ArrayList<>();
            for (ImageRecord img : images.subList(s * batch, (s + 1) * batch)) {
                b.add(new ViewsBatchSource.Example(img, new float[0][]));
            }
            out.add(b);
        }
        return out;
    }

    /**
     * The assembled minibatches, and what making the timed ones (index {@code >= timedFrom}) took:
     * the augmentation alone (every view drawn once more, apart, to time it) and the whole assembly
     * (augmentation, normalisation into the minibatch).
     */
    record Assembled(List<MultiDataSet> minibatches, int timedSteps, long augmentationNanos, long assemblyNanos) {
        double augmentationMs() {
            return augmentationNanos / 1e6 / timedSteps;
        }

        /** The assembly without its augmentation, ms per step. */
        double batchAssemblyMs() {
            return Math.max(0, assemblyNanos / 1e6 / timedSteps - augmentationMs());
        }
    }

    /** Makes a minibatch of every batch of examples (epoch 0, the config's seed and normalisation). */
    static Assembled assemble(List<List<ViewsBatchSource.Example>> batches, int timedFrom, PretextConfig cfg,
                              PretextMethod method, AugmentSpec aug) {
        List<ViewRecipe> recipes = List.copyOf(method.views(aug));
        long augNs = 0;
        long asmNs = 0;
        List<MultiDataSet> mds = new ArrayList<>();
        for (int s = 0; s < batches.size(); s++) {
            long t0 = System.nanoTime();
            for (ViewsBatchSource.Example ex : batches.get(s)) {
                for (int v = 0; v < recipes.size(); v++) {
                    recipes.get(v).view(ex.image(), ViewSeeds.seed(cfg.seed, ex.image().id(), 0, method.drawIndex(v)));
                }
            }
            long t1 = System.nanoTime();
            mds.add(ViewsBatchSource.assemble(batches.get(s), 0, recipes, cfg.mean, cfg.std, cfg.seed, method));
            long t2 = System.nanoTime();
            if (s >= timedFrom) {
                augNs += t1 - t0;
                asmNs += t2 - t1;
            }
        }
        return new Assembled(mds, Math.max(1, batches.size() - timedFrom), augNs, asmNs);
    }

    /** Fits minibatches {@code [from, to)} in order; the nanoseconds that took. */
    static long fit(ComputationGraph net, List<MultiDataSet> minibatches, int from, int to) {
        long t0 = System.nanoTime();
        for (int s = from; s < to; s++) {
            net.fit(minibatches.get(s));
        }
        return System.nanoTime() - t0;
    }
}
