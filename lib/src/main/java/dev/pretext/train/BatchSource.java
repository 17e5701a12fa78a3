package dev.pretext.train;

import org.apache.spark.api.java.JavaRDD;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Where a {@link TrainingRun} gets its minibatches. Each element of an epoch's RDD is exactly one
 * minibatch. {@code epoch(e)} must give the same batches for the same {@code e} (seeded from it),
 * so that a run resumed in the middle of an epoch continues with the partitions it had not seen.
 */
public interface BatchSource {
    /** Minibatches of epoch {@code epoch} (0-based); not cached. */
    JavaRDD<MultiDataSet> epoch(int epoch);

    /** Source images one epoch covers (for images/s; a two-view batch of N images counts N). */
    long imagesPerEpoch();
}
