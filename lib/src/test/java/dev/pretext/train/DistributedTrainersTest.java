package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

class DistributedTrainersTest extends SparkTestBase {
    static final int BATCH = 16;

    private static double fitAndReport(String name, double maxRatio) {
        ComputationGraph net = TinyProblem.net(new Adam(0.02), 7);
        MultiDataSet monitor = TinyProblem.batches(99, 1, 64).get(0);
        double before = net.score(monitor);
        DistributedTrainer trainer = DistributedTrainers.create(name,
                TrainerSettings.of(2, BATCH).withAveragingFrequency(2), jsc);
        List<MultiDataSet> data = TinyProblem.batches(1, 16, BATCH);
        long total = 0;
        for (int epoch = 0; epoch < 3; epoch++) {
            JavaRDD<MultiDataSet> rdd = jsc.parallelize(data, 4);
            total += trainer.fitEpochChunk(net, rdd);
        }
        double after = net.score(monitor);
        assertEquals(48, total);
        // 48 minibatches over 2 workers: 24 synchronous steps
        assertEquals(24, net.getConfiguration().getIterationCount());
        assertEquals(0, net.getConfiguration().getEpochCount());
        assertTrue(after < maxRatio * before, name + ": loss " + before + " -> " + after);
        trainer.close();
        return after;
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void parameterAveragingLowersTheLoss() {
        fitAndReport("paramavg", 0.5);
    }

    @Test
    void gradientSharingLowersTheLoss() {
        // threshold-encoded sparse updates make progress per step smaller than exact averaging
        fitAndReport("shared", 0.8);
    }

    /** Counts, per Spark task partition, the minibatches the workers fitted (local mode: one JVM). */
    static final class PerWorker implements org.deeplearning4j.spark.api.TrainingHook {
        private static final long serialVersionUID = 1L;
        static final java.util.Map<Integer, java.util.concurrent.atomic.AtomicInteger> COUNTS =
                new java.util.concurrent.ConcurrentHashMap<>();

        private static void count() {
            int p = org.apache.spark.TaskContext.get() == null ? -1 : org.apache.spark.TaskContext.getPartitionId();
            COUNTS.computeIfAbsent(p, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        }

        @Override
        public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
            count();
        }

        @Override
        public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }

        @Override
        public void preUpdate(MultiDataSet minibatch, org.deeplearning4j.nn.api.Model model) {
            count();
        }

        @Override
        public void postUpdate(MultiDataSet minibatch, org.deeplearning4j.nn.api.Model model) {
        }
    }

    @Test
    void everyWorkerFitsItsShareOfASmallChunk() {
        // 5 minibatches in one partition, 2 workers averaging every 40: DL4J's own repartitioning gave
        // all 5 to one worker; spread over the workers, they fit 3 and 2
        // (the shared trainer runs no hooks, so it cannot be counted this way; it gets the same spread)
        for (String name : List.of("paramavg")) {
            PerWorker.COUNTS.clear();
            ComputationGraph net = TinyProblem.net(new Adam(0.01), 7);
            DistributedTrainer trainer = DistributedTrainers.create(name, TrainerSettings.of(2, BATCH)
                    .withAveragingFrequency(40).withHooks(List.of(new PerWorker())), jsc);
            assertEquals(5, trainer.fitEpochChunk(net, jsc.parallelize(TinyProblem.batches(3, 5, BATCH), 1)));
            trainer.close();
            List<Integer> counts = PerWorker.COUNTS.values().stream().map(java.util.concurrent.atomic.AtomicInteger::get)
                    .sorted().toList();
            assertEquals(List.of(2, 3), counts, name + ": minibatches per worker " + PerWorker.COUNTS);
        }
    }

    @Test
    void spreadOverGivesEachWorkerAnEvenShare() {
        List<MultiDataSet> data = TinyProblem.batches(4, 7, BATCH);
        for (int parts : new int[] {1, 3, 9}) {
            List<List<MultiDataSet>> got = SparkFit.spreadOver(jsc.parallelize(data, parts), 2).glom().collect();
            assertEquals(2, got.size(), "partitions");
            assertEquals(List.of(4, 3), got.stream().map(List::size).toList(), "from " + parts + " partitions");
        }
        assertEquals(List.of(3, 2, 2), SparkFit.spreadOver(jsc.parallelize(data, 2), 3).glom().collect().stream()
                .map(List::size).toList());
        assertThrows(IllegalArgumentException.class, () -> SparkFit.spreadOver(jsc.parallelize(data, 2), 0));
    }

    @Test
    void unknownNameListsTheValidOnes() {
        UserError e = assertThrows(UserError.class,
                () -> DistributedTrainers.create("horovod", TrainerSettings.of(2, BATCH), jsc));
        assertTrue(e.getMessage().contains("paramavg|shared"), e.getMessage());
    }

    @Test
    void aMinibatchOfTheWrongSizeFailsTheFit() {
        ComputationGraph net = TinyProblem.net(new Adam(0.01), 7);
        DistributedTrainer trainer = DistributedTrainers.create("paramavg", TrainerSettings.of(2, BATCH), jsc);
        List<MultiDataSet> data = TinyProblem.batches(1, 3, BATCH);
        data.set(2, TinyProblem.batches(2, 1, BATCH - 1).get(0));
        Exception e = assertThrows(Exception.class, () -> trainer.fitEpochChunk(net, jsc.parallelize(data, 2)));
        Throwable t = e;
        StringBuilder all = new StringBuilder();
        while (t != null) {
            all.append(t.getMessage()).append('\n');
            t = t.getCause();
        }
        assertTrue(all.toString().contains("15 examples but the trainer's batch size is 16"), all.toString());
    }
}
