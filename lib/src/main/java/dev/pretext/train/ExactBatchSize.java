package dev.pretext.train;

import dev.pretext.UserError;
import org.apache.spark.api.java.function.Function;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Fails a minibatch whose size differs from the trainer's batch size. DL4J's masters re-batch to
 * {@code batchSizePerWorker}, which would silently split or merge such a DataSet and break the
 * positive pairs of batch-coupled losses.
 */
final class ExactBatchSize implements Function<MultiDataSet, MultiDataSet> {
    private final int batchSize;

    ExactBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    @Override
    public MultiDataSet call(MultiDataSet ds) {
        int n = (int) ds.getFeatures(0).size(0);
        if (n != batchSize) {
            throw new UserError("a minibatch has " + n + " examples but the trainer's batch size is " + batchSize
                    + "; every MultiDataSet must be exactly one full minibatch (drop or pad the last one)");
        }
        return ds;
    }
}
