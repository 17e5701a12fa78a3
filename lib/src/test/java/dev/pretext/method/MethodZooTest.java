package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import dev.pretext.nn.TargetTwin;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** Every registered method trains a few steps in local[2] under each trainer it supports and refuses the others. */
class MethodZooTest extends SparkTestBase {
    static final int B = 8;


    static PretextMethod create(String name) {
        MethodParams p = new MethodParams(name, Methods.defaults(name));
        if (name.equals("mocov2")) {
            p = p.with("queue-size", 64);
        }
        return Methods.create(name, p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"simclr", "byol", "simsiam", "mocov2", "barlow", "vicreg", "msbreg", "rotation"})
    void trainsUnderEachTrainerItSupportsAndRefusesTheOthers(String name) {
        PretextMethod m = create(name);
        int k = m.views(AugmentSpec.simclr(8)).size();
        for (String trainer : List.of("paramavg", "shared")) {
            int workers = name.equals("mocov2") ? 1 : 2;
            Optional<String> refusal = m.refusal(trainer, workers);
            if (refusal.isPresent()) {
                assertTrue(refusal.get().contains(name) && refusal.get().contains(trainer)
                        && refusal.get().contains("paramavg"), refusal.get());
                assertEquals("shared", trainer, name + " must train under paramavg");
                assertTrue(!m.stepHooks().isEmpty(), "only EMA methods refuse shared");
                // and the trainer itself refuses per-step hooks it cannot run
                TrainerSettings s = TrainerSettings.of(workers, k * B).withHooks(m.stepHooks());
                assertThrows(UserError.class, () -> DistributedTrainers.create(trainer, s, jsc));
                continue;
            }
            ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7);
            INDArray before = g.params().dup();
            JavaRDD<ImageRecord> rdd = jsc.parallelize(ViewsBatchSourceTest.images(4 * B * workers), workers);
            ViewsBatchSource src = new ViewsBatchSource(rdd, B, AugmentSpec.simclr(8), ViewsBatchSourceTest.MEAN,
                    ViewsBatchSourceTest.STD, 3, m);
            MultiDataSet monitor = src.epoch(0).first();
            double first = g.score(monitor);
            assertTrue(Double.isFinite(first), name + ": initial loss " + first);
            TrainerSettings s = TrainerSettings.of(workers, k * B).withAveragingFrequency(2).withHooks(m.stepHooks());
            try (DistributedTrainer t = DistributedTrainers.create(trainer, s, jsc)) {
                long n = t.fitEpochChunk(g, src.epoch(0));
                assertEquals(4L * workers, n);
            }
            double after = g.score(monitor);
            assertTrue(Double.isFinite(after), name + " under " + trainer + ": loss " + after);
            assertNotEquals(before, g.params(), name + " under " + trainer + ": parameters did not move");
            if (!m.stepHooks().isEmpty()) {
                List<INDArray[]> pairs = TargetTwin.pairs(g);
                assertFalse(pairs.isEmpty());
                assertNotEquals(pairs.get(0)[0], pairs.get(0)[1], "the twin follows the online network slowly");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"simclr", "byol", "simsiam", "mocov2", "barlow", "vicreg", "msbreg", "rotation"})
    void graphSurvivesJsonAndEncoderIsTheBackbone(String name) {
        PretextMethod m = create(name);
        var conf = m.configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7);
        assertEquals(conf, org.deeplearning4j.nn.conf.ComputationGraphConfiguration.fromJson(conf.toJson()));
        assertNotNull(conf.getVertices().get(m.encoderLayer()));
    }

    /**
     * A full queue of 4096 keys filled and wrapped inside a paramavg worker, where the queue is a view
     * into parameters deserialised from the broadcast: ND4J gave an empty view for rows past the
     * middle of it there (NullPointerException at the 9th step of the quickstart), never in a
     * local fit. Every queue row stays a unit vector (written keys, or the initial random ones).
     */
    @org.junit.jupiter.api.Test
    void mocoFillsAndWrapsItsQueueInsideAParamavgWorker() {
        PretextMethod m = Methods.withDefaults("mocov2");
        ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7);
        ViewsBatchSource src = new ViewsBatchSource(jsc.parallelize(ViewsBatchSourceTest.images(20 * 128), 1), 128,
                AugmentSpec.simclr(8), ViewsBatchSourceTest.MEAN, ViewsBatchSourceTest.STD, 3, m);
        TrainerSettings s = TrainerSettings.of(1, 256).withAveragingFrequency(40).withHooks(m.stepHooks());
        try (DistributedTrainer t = DistributedTrainers.create("paramavg", s, jsc)) {
            assertEquals(20, t.fitEpochChunk(g, src.epoch(0)));
        }
        INDArray queue = g.getLayer("loss").getParam(dev.pretext.nn.MocoQueueLoss.QUEUE);
        assertEquals(20 * 256 % 4096, g.getLayer("loss").getParam(dev.pretext.nn.MocoQueueLoss.PTR).getInt(0));
        INDArray norms = queue.norm2(1);
        assertTrue(norms.sub(1).amaxNumber().doubleValue() < 1e-4, "queue rows are unit vectors: " + norms);
    }

    @org.junit.jupiter.api.Test
    void mocoRefusesSeveralWorkersUnderParameterAveraging() {
        Optional<String> r = create("mocov2").refusal("paramavg", 2);
        assertTrue(r.isPresent() && r.get().contains("train.workers = 1"), r.toString());
    }

    @org.junit.jupiter.api.Test
    void unknownAndBadMethodKeysAreNamed() {
        UserError e = assertThrows(UserError.class, () -> Methods.create("byol",
                new MethodParams("byol", Methods.defaults("byol")).with("momentun", 0.9)));
        assertTrue(e.getMessage().contains("method.byol.momentun") && e.getMessage().contains("momentum"), e.getMessage());
        e = assertThrows(UserError.class, () -> Methods.create("byol",
                new MethodParams("byol", Methods.defaults("byol")).with("momentum", 1.5)));
        assertTrue(e.getMessage().contains("method.byol.momentum") && e.getMessage().contains("[0.0, 1.0]"), e.getMessage());
        e = assertThrows(UserError.class, () -> Methods.create("byol",
                new MethodParams("byol", Methods.defaults("byol")).with("blur-p", List.of(0.5))));
        assertTrue(e.getMessage().contains("method.byol.blur-p") && e.getMessage().contains("2 views"), e.getMessage());
        e = assertThrows(UserError.class, () -> Methods.entry("swav"));
        assertTrue(e.getMessage().contains("simclr") && e.getMessage().contains("msbreg"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void everyDeclaredKeyHasADefaultAndEveryDefaultIsDeclared() {
        for (Methods.Entry e : Methods.entries()) {
            java.util.Set<String> declared = new java.util.TreeSet<>();
            e.keys().forEach(k -> declared.add(k.name()));
            assertEquals(declared, new java.util.TreeSet<>(Methods.defaults(e.name()).keySet()), e.name());
            Methods.withDefaults(e.name());
        }
        String d = Methods.describe();
        for (String n : Methods.names()) {
            assertTrue(d.contains(n + ": "), d);
        }
        assertTrue(d.contains("method.msbreg.views") && d.contains("method.byol.solarize-p"), d);
    }

    @org.junit.jupiter.api.Test
    void byolViewsFollowTheAsymmetricRecipe() {
        var v = create("byol").views(AugmentSpec.simclr(8));
        assertEquals(2, v.size());
        assertEquals(1.0, v.get(0).spec().blurP());
        assertEquals(0.1, v.get(1).spec().blurP());
        assertEquals(0.0, v.get(0).solarizeP());
        assertEquals(0.2, v.get(1).solarizeP());
    }
}
