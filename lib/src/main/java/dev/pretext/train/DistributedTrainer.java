package dev.pretext.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Data-parallel training of a DL4J {@link ComputationGraph} on Spark, behind an interface of our own
 * so that DL4J's deprecated Spark module can be replaced. Implementations: {@code paramavg}
 * ({@link ParameterAveragingTrainer}) and {@code shared} ({@link SharedGradientTrainer}); build one
 * with {@link DistributedTrainers#create}.
 *
 * <p>Contract: every element of {@code batches} is exactly one minibatch of
 * {@link TrainerSettings#batchSize()} examples (checked; a different size fails the fit, because
 * DL4J would silently split or merge it). Do not {@code cache()} the RDD: the DL4J masters persist
 * it themselves, and the trainer unpersists it afterwards. After the call the driver's {@code net}
 * holds the trained parameters and updater state, and its iteration count has advanced by the
 * number of synchronous data-parallel steps, {@code ceil(minibatches / workers)}.
 * The network's epoch count is left to the caller (DL4J's {@code fit} bumps it on every call).
 */
public interface DistributedTrainer extends AutoCloseable {

    /** Fits {@code net} on every minibatch of {@code batches} once; returns the number of minibatches. */
    long fitEpochChunk(ComputationGraph net, JavaRDD<MultiDataSet> batches);

    /** {@code paramavg} or {@code shared}. */
    String name();

    TrainerSettings settings();

    @Override
    default void close() {
    }
}
