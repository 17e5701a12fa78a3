package dev.pretext.train;

import dev.pretext.UserError;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * {@code shared}: DL4J's asynchronous gradient sharing (threshold-encoded updates over an Aeron UDP
 * mesh rooted at the driver).
 *
 * <p>Setup that matters (STACK.md): a free UDP port per JVM ({@link FreeUdpPortSupplier}); the
 * controller on 127.0.0.1 for local masters; {@code -Daeron.publication.unblock.timeout} larger
 * than Aeron's client liveness timeout, on driver and executors (set here for the driver when
 * missing; executors get it from the launcher); Direct approach with an RDD that is not cached.
 *
 * <p>What DL4J M2 does with counts and scores: the master's {@code getScore()} is 0 and it never
 * touches the driver's iteration count; workers keep their model between fits of one master and
 * seed its iteration count from the parameter server's last seen step (0 in a fresh JVM), so the
 * learning-rate schedule on workers follows each worker's own step count and restarts from 0 after
 * a resume in a new JVM. The driver's count is set to {@code before + ceil(minibatches / workers)}.
 * A trainer is bound to the first network it fits (the mesh applies updates to that network's
 * parameter array).
 */
public final class SharedGradientTrainer implements DistributedTrainer {
    static final String AERON_UNBLOCK = "aeron.publication.unblock.timeout";
    private final JavaSparkContext jsc;
    private final TrainerSettings settings;
    private final SharedTrainingMaster master;
    private SparkComputationGraph spark;

    SharedGradientTrainer(JavaSparkContext jsc, TrainerSettings settings) {
        this.jsc = jsc;
        this.settings = settings;
        if (!settings.hooks().isEmpty()) {
            throw new UserError("train.trainer = shared cannot run per-step hooks (DL4J's shared trainer never calls"
                    + " them): use train.trainer = paramavg");
        }
        if (System.getProperty(AERON_UNBLOCK) == null) {
            System.setProperty(AERON_UNBLOCK, "60000000000");
        }
        VoidConfiguration voidConf = VoidConfiguration.builder()
                .controllerAddress(controllerAddress(jsc, settings))
                .portSupplier(new FreeUdpPortSupplier())
                .build();
        this.master = new SharedTrainingMaster.Builder(voidConf, settings.workers(),
                new AdaptiveThresholdAlgorithm(settings.sharingThreshold()), settings.batchSize())
                .batchSizePerWorker(settings.batchSize())
                .workersPerNode(1)
                .workerPrefetchNumBatches(settings.prefetchBatches())
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                // SparkFit spreads each chunk evenly over exactly `workers` partitions; DL4J's own
                // repartitioning would pile a small chunk onto one worker (SparkFit.spreadOver)
                .repartitionData(org.deeplearning4j.spark.api.Repartition.Never)
                // a chunk of minibatches spills to disk instead of filling the heap (MV-MR at 96x96
                // carries ~350 MB per minibatch; DL4J's default MEMORY_ONLY_SER killed the JVM)
                .storageLevel(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK_SER())
                .rngSeed(settings.seed())
                .build();
    }

    private static String controllerAddress(JavaSparkContext jsc, TrainerSettings settings) {
        if (settings.controllerAddress() != null && !settings.controllerAddress().isBlank()) {
            return settings.controllerAddress();
        }
        if (jsc.master().startsWith("local")) {
            return "127.0.0.1";
        }
        return jsc.getConf().get("spark.driver.host", "127.0.0.1");
    }

    @Override
    public long fitEpochChunk(ComputationGraph net, JavaRDD<MultiDataSet> batches) {
        if (spark == null) {
            spark = new SparkComputationGraph(jsc, net, master);
        } else if (spark.getNetwork() != net) {
            throw new IllegalStateException("a 'shared' trainer is bound to the first network it trained;"
                    + " create a new trainer for another network");
        }
        return SparkFit.fit(spark, net, batches, settings);
    }

    @Override
    public String name() {
        return "shared";
    }

    @Override
    public TrainerSettings settings() {
        return settings;
    }
}
