package dev.pretext.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * {@code paramavg}: DL4J's synchronous parameter averaging. Each worker fits
 * {@code averagingFrequency} minibatches from the driver's parameters, then parameters and updater
 * state are averaged on the driver.
 *
 * <p>Settings that matter (STACK.md): {@code saveUpdater(true)} set explicitly (the M2 builder
 * leaves it false); {@code batchSizePerWorker} equal to the DataSet size so DL4J neither splits nor
 * merges minibatches; the Direct approach so no shared export directory is needed on a cluster.
 *
 * <p>Worker step count: DL4J's worker starts every averaging round at step 0; {@link WorkerStepSync}
 * gives it the run's step, so schedules and Adam's bias correction follow the run.
 *
 * <p>Iteration count: the M2 master adds {@code averagingFrequency} to the driver's count per split
 * whatever the split held; we then set it to {@code before + ceil(minibatches / workers)}.
 */
public final class ParameterAveragingTrainer implements DistributedTrainer {
    private final JavaSparkContext jsc;
    private final TrainerSettings settings;
    private final ParameterAveragingTrainingMaster master;
    private final WorkerStepSync stepSync = new WorkerStepSync();
    private SparkComputationGraph spark;

    ParameterAveragingTrainer(JavaSparkContext jsc, TrainerSettings settings) {
        this.jsc = jsc;
        this.settings = settings;
        this.master = new ParameterAveragingTrainingMaster.Builder(settings.workers(), settings.batchSize())
                .batchSizePerWorker(settings.batchSize())
                .averagingFrequency(settings.averagingFrequency())
                .workerPrefetchNumBatches(settings.prefetchBatches())
                .saveUpdater(true)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                // SparkFit spreads each chunk evenly over exactly `workers` partitions; DL4J's own
                // repartitioning would pile a small chunk onto one worker (SparkFit.spreadOver)
                .repartionData(org.deeplearning4j.spark.api.Repartition.Never)
                // a chunk of minibatches spills to disk instead of filling the heap (MV-MR at 96x96
                // carries ~350 MB per minibatch; DL4J's default MEMORY_ONLY_SER killed the JVM)
                .storageLevel(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK_SER())
                .rngSeed(settings.seed())
                .trainingHooks(hooks(settings, stepSync))
                .build();
    }

    /** The run's step sync first (it sets the worker's step before the method's hooks read it). */
    private static java.util.List<org.deeplearning4j.spark.api.TrainingHook> hooks(TrainerSettings settings,
                                                                                  WorkerStepSync sync) {
        java.util.List<org.deeplearning4j.spark.api.TrainingHook> all = new java.util.ArrayList<>();
        all.add(sync);
        all.addAll(settings.hooks());
        return all;
    }

    @Override
    public long fitEpochChunk(ComputationGraph net, JavaRDD<MultiDataSet> batches) {
        stepSync.bind(net);
        if (spark == null || spark.getNetwork() != net) {
            spark = new SparkComputationGraph(jsc, net, master);
        }
        return SparkFit.fit(spark, net, batches, settings);
    }

    @Override
    public String name() {
        return "paramavg";
    }

    @Override
    public TrainerSettings settings() {
        return settings;
    }
}
