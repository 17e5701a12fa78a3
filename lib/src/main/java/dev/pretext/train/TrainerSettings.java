package dev.pretext.train;

import dev.pretext.UserError;

/**
 * Settings shared by the distributed trainers.
 *
 * @param workers            Spark-side data-parallel workers (executor cores taking part)
 * @param batchSize          examples in every DataSet of the input RDD (one DataSet = one minibatch)
 * @param averagingFrequency paramavg: minibatches per worker between two parameter averagings
 * @param prefetchBatches    minibatches a worker prefetches asynchronously (0 = none)
 * @param seed               seed for DL4J's data splitting
 * @param controllerAddress  shared: address of the driver for the Aeron mesh; null picks
 *                           127.0.0.1 for a local master and {@code spark.driver.host} otherwise
 * @param sharingThreshold   shared: initial threshold of the adaptive gradient encoding
 * @param hooks              per-minibatch hooks run inside the workers (a method's EMA target update);
 *                           paramavg calls them around every minibatch, shared cannot (it refuses them)
 */
public record TrainerSettings(int workers, int batchSize, int averagingFrequency, int prefetchBatches, long seed,
                              String controllerAddress, double sharingThreshold,
                              java.util.List<org.deeplearning4j.spark.api.TrainingHook> hooks) {
    public static final int DEFAULT_AVERAGING_FREQUENCY = 5;
    public static final double DEFAULT_SHARING_THRESHOLD = 1e-3;

    public TrainerSettings {
        if (workers < 1) {
            throw new UserError("trainer workers must be >= 1, got " + workers);
        }
        if (batchSize < 1) {
            throw new UserError("trainer batch size must be >= 1, got " + batchSize);
        }
        if (averagingFrequency < 1) {
            throw new UserError("trainer averaging frequency must be >= 1, got " + averagingFrequency);
        }
        if (prefetchBatches < 0) {
            throw new UserError("trainer prefetch batches must be >= 0, got " + prefetchBatches);
        }
        if (!(sharingThreshold > 0)) {
            throw new UserError("trainer sharing threshold must be > 0, got " + sharingThreshold);
        }
        hooks = hooks == null ? java.util.List.of() : java.util.List.copyOf(hooks);
    }

    public static TrainerSettings of(int workers, int batchSize) {
        return new TrainerSettings(workers, batchSize, DEFAULT_AVERAGING_FREQUENCY, 0, 12345L, null,
                DEFAULT_SHARING_THRESHOLD, java.util.List.of());
    }

    public TrainerSettings withAveragingFrequency(int f) {
        return new TrainerSettings(workers, batchSize, f, prefetchBatches, seed, controllerAddress, sharingThreshold,
                hooks);
    }

    public TrainerSettings withSeed(long s) {
        return new TrainerSettings(workers, batchSize, averagingFrequency, prefetchBatches, s, controllerAddress,
                sharingThreshold, hooks);
    }

    public TrainerSettings withHooks(java.util.List<org.deeplearning4j.spark.api.TrainingHook> h) {
        return new TrainerSettings(workers, batchSize, averagingFrequency, prefetchBatches, seed, controllerAddress,
                sharingThreshold, h);
    }
}
