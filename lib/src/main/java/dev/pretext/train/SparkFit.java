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

    /**
     * The minibatches in exactly {@code workers} partitions whose sizes differ by at most one
     * (minibatch i goes to partition i mod workers).
     *
     * <p>Why: both DL4J masters hand each partition to one worker, and when the partition count
     * differs from the worker count their "balanced" repartitioning fills a partition up to
     * {@code averagingFrequency} minibatches before starting the next. A chunk of fewer than
     * workers x averagingFrequency minibatches (every chunk of a small run, the last of a large one)
     * was therefore fitted by one worker while the others returned at once: measured on the
     * standalone cluster, 2 executors trained no faster than 1 (README, "Data-parallel efficiency").
     * With exactly {@code workers} partitions the masters keep the partitioning as it is.
     */
    static JavaRDD<MultiDataSet> spreadOver(JavaRDD<MultiDataSet> batches, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        final long n = workers;
        return batches.zipWithIndex()
                .mapToPair(t -> new scala.Tuple2<>(t._2() % n, t._1()))
                .partitionBy(new org.apache.spark.HashPartitioner(workers))
                .values();
    }

    /** @return the number of minibatches fitted */
    static long fit(SparkComputationGraph spark, ComputationGraph net, JavaRDD<MultiDataSet> batches,
                    TrainerSettings settings) {
        JavaRDD<MultiDataSet> checked = batches.map(new ExactBatchSize(settings.batchSize()));
        if (settings.workers() > 1) {
            checked = spreadOver(checked, settings.workers());
        }
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
