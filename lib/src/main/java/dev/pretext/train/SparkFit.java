package dev.pretext.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * One fit of a DL4J Spark master, as both trainers do it: every minibatch checked for its exact
 * size (so DL4J never splits or merges one), the driver's iteration count advanced by the number of
 * synchronous data-parallel steps, and the epoch count (which {@code SparkComputationGraph.fit}
 * bumps on every call) restored.
 */
final class SparkFit {
    private SparkFit() {
    }

    /** @return the number of minibatches fitted */
    static long fit(SparkComputationGraph spark, ComputationGraph net, JavaRDD<MultiDataSet> batches,
                    TrainerSettings settings) {
        JavaRDD<MultiDataSet> checked = batches.map(new ExactBatchSize(settings.batchSize()));
        int before = net.getConfiguration().getIterationCount();
        int epochCount = net.getConfiguration().getEpochCount();
        try {
            spark.fitMultiDataSet(checked);
            // the master persisted `checked`; counting reads that cache
            long n = checked.count();
            IterationAccounting.advance(net, before, n, settings.workers());
            return n;
        } finally {
            net.getConfiguration().setEpochCount(epochCount);
            checked.unpersist(false);
        }
    }
}
