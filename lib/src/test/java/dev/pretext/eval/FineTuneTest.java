package dev.pretext.eval;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import dev.pretext.method.Methods;
import dev.pretext.method.ModelSpec;
import dev.pretext.nn.Backbones;
import dev.pretext.spark.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Fine-tuning: the classifier is the encoder plus a new head, and training the whole encoder on
 * labels beats a linear probe of the same encoder frozen, on data designed so that the frozen
 * features hold the class only weakly.
 */
class FineTuneTest extends SparkTestBase {
    private static final int SIZE = 16;
    private static final float[] MEAN = {0.5f, 0.5f, 0.5f};
    private static final float[] STD = {0.25f, 0.25f, 0.25f};

    /**
     * Faint stripes in strong noise: class 0 has horizontal stripes (rows alternately +a and -a),
     * class 1 vertical ones, over a random base colour with per-pixel Gaussian noise of sigma 50
     * (a = 18). A random encoder's globally pooled features see the stripes only at second order
     * through its random filters, so its linear probe stays near chance (0.54 to 0.68 over five
     * seeds, measured); fine-tuning learns filters matched to the stripes (0.80 to 0.995 after 10
     * epochs over the same seeds; about 0.98 for the seed used here).
     */
    static byte[] stripes(int label, Random rnd) {
        double a = 18, sigma = 50;
        byte[] d = new byte[SIZE * SIZE * 3];
        int[] base = {60 + rnd.nextInt(130), 60 + rnd.nextInt(130), 60 + rnd.nextInt(130)};
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int parity = label == 0 ? y % 2 : x % 2;
                for (int c = 0; c < 3; c++) {
                    double v = base[c] + (parity == 0 ? a : -a) + sigma * rnd.nextGaussian();
                    d[(y * SIZE + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
                }
            }
        }
        return d;
    }

    /** 432 train, 48 validation (split "train", ids val/...), 200 test images of the stripes task. */
    static Dataset<Row> stripesTable(long seed) {
        Random rnd = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 680; i++) {
            String part = i < 432 ? "train" : i < 480 ? "val" : "test";
            int label = i % 2;
            rows.add(TestImages.image(part + "/" + i, part.equals("val") ? "train" : part, label, SIZE, SIZE,
                    stripes(label, rnd), "raw"));
        }
        return TestImages.table(spark, rows, 2).cache();
    }

    static FineTune.Settings settings(int epochs, long seed) {
        return new FineTune.Settings(epochs, 32, 0.002, 0.8, 1.0, 0.5, 1, 40, seed, MEAN, STD);
    }

    @Test
    void fineTuningTheEncoderBeatsItsFrozenLinearProbe() {
        long seed = 11;
        Dataset<Row> all = stripesTable(seed);
        Dataset<Row> train = all.where(col("id").startsWith("train/"));
        Dataset<Row> validation = all.where(col("id").startsWith("val/"));
        Dataset<Row> test = all.where(col("split").equalTo("test"));
        ComputationGraph encoder = new ComputationGraph(
                Backbones.encoderOnly("conv4", 0.125, SIZE, SIZE, seed, new Adam(1e-3)));
        encoder.init();
        INDArray before = encoder.params().dup();

        // the frozen linear probe of the same encoder, on the same training images (+ validation ones)
        Dataset<Row> features = new EncoderFeatures(encoder, Backbones.EMBEDDING, PixelNormalization.of(MEAN, STD),
                64, false).compute(all).cache();
        ProbeScores frozen = new LinearProbe().setMaxIter(30).setRegParams(1e-3)
                .fit(features.where(col("split").equalTo("train")))
                .evaluate(features.where(col("split").equalTo("test")));

        FineTune.Result r = FineTune.run(jsc, encoder, Backbones.EMBEDDING, 2, train, validation, test,
                settings(10, seed), "test", System.err);
        assertEquals(200, r.selected().count());
        assertEquals(432, r.trainImages());
        assertEquals(48, r.validationImages());
        assertEquals(13, r.stepsPerEpoch(), "432 images in whole minibatches of 32");
        assertEquals(10, r.validationTop1().size());
        assertEquals(10, r.trainLoss().size());
        assertTrue(r.trainLoss().stream().allMatch(Double::isFinite), r.trainLoss().toString());
        // the kept epoch is the last with the best validation top-1
        double best = r.validationTop1().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertEquals(r.validationTop1().lastIndexOf(best) + 1, r.selectedEpoch(), r.validationTop1().toString());
        assertTrue(frozen.top1() < 0.75, "the frozen probe should be weak here: " + frozen.top1());
        assertTrue(r.selected().top1() >= 0.8 && r.selected().top1() > frozen.top1() + 0.15,
                "fine-tuned " + r.selected().top1() + " vs frozen probe " + frozen.top1() + "; validation "
                        + r.validationTop1());
        assertEquals(1.0, r.selected().top5(), 0.0, "two classes: top-5 is always a hit");
        assertEquals(before, encoder.params(), "the given network is not changed (fine-tuning trains a copy)");
    }

    @Test
    void theClassifierIsACopyOfTheEncoderWithANewHeadAndFreshOptimiserState() {
        ComputationGraph training = Methods.withDefaults("simclr").build(
                ModelSpec.of("conv4", 0.25, 8, 8, new Adam(0.05)), 5);
        training.getConfiguration().setIterationCount(123);
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 3, 8, 8);
        training.feedForward(new INDArray[] {Nd4j.concat(0, x, x)}, true, false);   // non-trivial BN statistics
        ComputationGraph c = FineTune.classifier(training, Backbones.EMBEDDING, 7, 8, 8, 1e-3, 5);
        assertEquals(training.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0],
                c.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0]);
        INDArray p = c.output(false, x)[0];
        assertArrayEquals(new long[] {16, 7}, p.shape());
        assertEquals(16.0, p.sumNumber().doubleValue(), 1e-4, "softmax rows sum to 1");
        assertEquals(0, c.getConfiguration().getIterationCount());
        assertEquals(List.of(FineTune.HEAD), c.getConfiguration().getNetworkOutputs());
        assertTrue(c.getConfiguration().getVertices().keySet().stream()
                .noneMatch(v -> v.startsWith("proj") || v.equals("loss")), c.getConfiguration().getVertices().keySet().toString());
        assertEquals(Backbones.encoderOnly("conv4", 0.25, 8, 8, 5, new Adam(1e-3)).getVertices().size() + 1,
                c.getConfiguration().getVertices().size(), "the encoder's vertices and the head");
        c.getConfiguration().getVertices().values().forEach(v -> {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer l) {
                assertEquals(new Adam(1e-3), l.getIUpdater(), l.getLayerName());
                assertTrue(l.getRegularization() == null || l.getRegularization().isEmpty(), l.getLayerName());
            }
        });
        assertThrows(UserError.class, () -> FineTune.classifier(training, Backbones.EMBEDDING, 1, 8, 8, 1e-3, 5));
        assertThrows(UserError.class, () -> FineTune.classifier(training, "c3_relu", 3, 8, 8, 1e-3, 5),
                "a spatial layer needs pooling before a linear head");
    }

    /**
     * Every method's evaluation encoder takes a head and trains end to end on whole images: the
     * backbone's embedding, and the context autoencoder's 16 concatenated patch embeddings (its
     * patch fold / unfold layers backpropagate).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"simclr", "byol", "relpos", "jigsaw", "context-ae"})
    void theHeadTrainsThroughEachMethodsEvaluationEncoder(String name) {
        dev.pretext.method.MethodParams p = new dev.pretext.method.MethodParams(name, Methods.defaults(name));
        p = switch (name) {   // small heads, as PatchMethodsTest has them
            case "jigsaw" -> p.with("permutations", 24).with("head-hidden", 32);
            case "relpos" -> p.with("head-hidden", 32);
            case "context-ae" -> p.with("decoder-hidden", 32).with("decoder-channels", 4);
            default -> p;
        };
        dev.pretext.method.PretextMethod m = Methods.create(name, p);
        AugmentSpec aug = AugmentSpec.simclr(32);
        int[] in = m.inputSize(aug, 32, 32);
        ComputationGraph trained = m.build(ModelSpec.of("conv4", 0.25, in[0], in[1], new Adam(1e-3)), 3);
        ComputationGraph eval = m.evaluationGraph(trained, "conv4", 0.25, 32, 32);
        ComputationGraph c = FineTune.classifier(eval, m.evaluationLayer(), 4, 32, 32, 1e-2, 3);
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 3, 32, 32);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 4);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 4, 1f);
        }
        MultiDataSet batch = new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {x}, new INDArray[] {y});
        INDArray before = c.params().dup();
        double loss0 = c.score(batch, false);
        for (int i = 0; i < 5; i++) {
            c.fit(batch);
        }
        assertTrue(Double.isFinite(c.score(batch, false)), name);
        assertNotEquals(before, c.params(), name);
        // the encoder moved too, not only the head
        INDArray encBefore = eval.params();
        ComputationGraph encAfter = EncoderSubgraph.extract(c, List.of(m.evaluationLayer()));
        assertNotEquals(EncoderSubgraph.extract(eval, List.of(m.evaluationLayer())).params(), encAfter.params(), name);
        assertTrue(Double.isFinite(loss0) && encBefore.length() > 0, name);
    }

    @Test
    void minibatchesAreWholeSeededAugmentedAndOneHot() {
        Random rnd = new Random(4);
        List<ImageRecord> images = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            byte[] px = new byte[SIZE * SIZE * 3];
            rnd.nextBytes(px);
            images.add(new ImageRecord("img/" + i, "train", i % 3, -1, SIZE, SIZE, 3, "raw", px, "t#" + i));
        }
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images, 2);   // 35 per partition
        AugmentSpec spec = FineTune.augment(SIZE, 0.5, 1.0, 0.5);
        List<MultiDataSet> e0 = FineTune.batches(rdd, 0, 16, spec, MEAN, STD, 9, 3).collect();
        List<MultiDataSet> again = FineTune.batches(rdd, 0, 16, spec, MEAN, STD, 9, 3).collect();
        List<MultiDataSet> e1 = FineTune.batches(rdd, 1, 16, spec, MEAN, STD, 9, 3).collect();
        assertEquals(4, e0.size(), "2 whole minibatches of 16 per partition of 35");
        for (int i = 0; i < e0.size(); i++) {
            MultiDataSet m = e0.get(i);
            assertArrayEquals(new long[] {16, 3, SIZE, SIZE}, m.getFeatures(0).shape());
            assertArrayEquals(new long[] {16, 3}, m.getLabels(0).shape());
            assertEquals(Nd4j.ones(DataType.FLOAT, 16), m.getLabels(0).sum(1).castTo(DataType.FLOAT));
            assertEquals(m.getFeatures(0), again.get(i).getFeatures(0), "seeded: the same epoch repeats");
            assertNotEquals(m.getFeatures(0), e1.get(i).getFeatures(0), "another epoch, other order and views");
        }
        // colour is never changed: a crop-and-flip view keeps the image's pixel values (no jitter)
        assertEquals(0.0, spec.jitterP());
        assertEquals(0.0, spec.grayscaleP());
        assertEquals(0.0, spec.blurP());
        assertThrows(UserError.class, () -> FineTune.augment(SIZE, 0.9, 0.5, 0.5));
        assertThrows(UserError.class, () -> new FineTune.Settings(0, 32, 1e-3, 0.5, 1, 0.5, 1, 40, 1, MEAN, STD));
    }
}
