package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import dev.pretext.eval.EncoderSubgraph;
import dev.pretext.nn.Backbones;
import dev.pretext.patches.ContextNeighbourhood;
import dev.pretext.patches.ImagePatcher;
import dev.pretext.patches.PatchRecord;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** The patch classification tasks: their examples, their graphs, training under both trainers, evaluation on whole images. */
class PatchMethodsTest extends SparkTestBase {
    static final int B = 8;
    static final AugmentSpec AUG = AugmentSpec.simclr(32);

    static PatchMethod create(String name) {
        MethodParams p = new MethodParams(name, Methods.defaults(name));
        if (name.equals("jigsaw")) {
            p = p.with("permutations", 24);
        }
        if (name.equals("selfie")) {
            return (PatchMethod) Methods.create(name, p.with("projection", 16).with("layers", 2));
        }
        if (name.equals("context-ae")) {
            return (PatchMethod) Methods.create(name, p.with("decoder-hidden", 32).with("decoder-channels", 4));
        }
        return (PatchMethod) Methods.create(name, p.with("head-hidden", 32));
    }

    static List<ImageRecord> images(int n) {
        List<ImageRecord> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[32 * 32 * 3];
            for (int k = 0; k < px.length; k++) {
                px[k] = (byte) ((k / 3 % 32) * 8 + r.nextInt(16));   // a left-right ramp + noise
            }
            out.add(new ImageRecord("img" + i, "train", i % 10, -1, 32, 32, 3, ImageRecord.RAW, px, "synthetic#" + i));
        }
        return out;
    }

    @Test
    void relposPairsTheCentreWithTheDrawnNeighbour() {
        PatchMethod m = create("relpos");
        assertEquals(2, m.rowsPerImage(AUG));
        assertArrayEquals(new int[] {8, 8}, m.inputSize(AUG, 32, 32));
        ImagePatcher patcher = new ImagePatcher(m.patchSettings(AUG, 1));
        List<List<PatchRecord>> rows = new ArrayList<>();
        for (ImageRecord img : images(3)) {
            rows.add(patcher.patch(img));
        }
        float[] mean = {0.5f, 0.5f, 0.5f};
        float[] std = {0.25f, 0.25f, 0.25f};
        MultiDataSet ds = m.assemblePatches(rows, mean, std, new SplittableRandom(9));
        assertArrayEquals(new long[] {6, 3, 8, 8}, ds.getFeatures(0).shape());
        assertArrayEquals(new long[] {3, 8}, ds.getLabels(0).shape());
        SplittableRandom replay = new SplittableRandom(9);
        for (int i = 0; i < 3; i++) {
            int k = replay.nextInt(8);
            assertEquals(1f, ds.getLabels(0).getFloat(i, k));
            assertEquals(1f, ds.getLabels(0).getRow(i).sumNumber().floatValue());
            float[] centre = new float[3 * 64];
            float[] other = new float[3 * 64];
            PatchClassifier.patchTensor(rows.get(i).get(0), 4, mean, std, centre, 0);
            PatchClassifier.patchTensor(rows.get(i).get(0), ContextNeighbourhood.neighbours(3, 4)[k], mean, std,
                    other, 0);
            assertArrayEquals(centre, ds.getFeatures(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                    .dup().reshape(3 * 64).toFloatVector());
            assertArrayEquals(other, ds.getFeatures(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point(3 + i))
                    .dup().reshape(3 * 64).toFloatVector());
        }
    }

    @Test
    void jigsawFeedsTheTilesInTheDrawnPermutation() {
        Jigsaw m = (Jigsaw) create("jigsaw");
        assertEquals(24, m.permutations().size());
        ImagePatcher patcher = new ImagePatcher(m.patchSettings(AUG, 1));
        List<List<PatchRecord>> rows = List.of(patcher.patch(images(1).get(0)), patcher.patch(images(2).get(1)));
        float[] mean = {0f, 0f, 0f};
        float[] std = {1f, 1f, 1f};
        MultiDataSet ds = m.assemblePatches(rows, mean, std, new SplittableRandom(4));
        assertArrayEquals(new long[] {18, 3, 8, 8}, ds.getFeatures(0).shape());
        SplittableRandom replay = new SplittableRandom(4);
        for (int i = 0; i < 2; i++) {
            int c = replay.nextInt(24);
            assertEquals(1f, ds.getLabels(0).getFloat(i, c));
            int[] perm = m.permutations().get(c);
            for (int t = 0; t < 9; t++) {
                float[] want = new float[3 * 64];
                PatchClassifier.patchTensor(rows.get(i).get(0), perm[t], mean, std, want, 0);
                assertArrayEquals(want, ds.getFeatures(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point(t * 2 + i))
                        .dup().reshape(3 * 64).toFloatVector(), "tile " + t + " of image " + i);
            }
        }
        assertThrows(UserError.class, () -> Methods.create("jigsaw", new MethodParams("jigsaw",
                Methods.defaults("jigsaw")).with("jitter", 5)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relpos", "jigsaw", "context-ae", "selfie"})
    void trainsUnderBothTrainersAndItsEncoderRunsOnWholeImages(String name) {
        PatchMethod m = create(name);
        int[] size = m.inputSize(AUG, 32, 32);
        ComputationGraphConfiguration conf = m.configuration(ModelSpec.of("conv4", 0.25, size[0], size[1],
                new Adam(1e-3)), 7);
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        for (String trainer : List.of("paramavg", "shared")) {
            int workers = 2;
            ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, size[0], size[1], new Adam(1e-3)), 7);
            INDArray before = g.params().dup();
            JavaRDD<ImageRecord> rdd = jsc.parallelize(images(4 * B * workers), workers);
            PatchBatchSource src = new PatchBatchSource(rdd, B, AUG, new float[] {0.5f, 0.5f, 0.5f},
                    new float[] {0.25f, 0.25f, 0.25f}, 3, m);
            MultiDataSet monitor = src.epoch(0).first();
            assertEquals((long) B * m.rowsPerImage(AUG), monitor.getFeatures(0).size(0));
            double first = g.score(monitor);
            assertTrue(Double.isFinite(first), name + ": initial loss " + first);
            TrainerSettings s = TrainerSettings.of(workers, m.rowsPerImage(AUG) * B).withAveragingFrequency(2);
            try (DistributedTrainer t = DistributedTrainers.create(trainer, s, jsc)) {
                assertEquals(4L * workers, t.fitEpochChunk(g, src.epoch(0)));
            }
            assertTrue(Double.isFinite(g.score(monitor)), name + " under " + trainer);
            assertNotEquals(before, g.params(), name + " under " + trainer + ": parameters did not move");
            // the tile encoder is convolutional with global pooling: it embeds whole 32x32 images
            ComputationGraph enc = EncoderSubgraph.extract(m.evaluationGraph(g, "conv4", 0.25, 32, 32),
                    List.of(m.evaluationLayer()));
            INDArray f = enc.outputSingle(false, Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 3, 32, 32));
            int width = Backbones.get("conv4").featureDim(0.25) * (name.equals("context-ae") ? 16 : 1);
            assertArrayEquals(new long[] {5, width}, f.shape());
        }
    }

    @Test
    void contextAutoencoderLearnsAndEvaluatesOnTheSixteenPatchEmbeddings() {
        ContextAutoencoder m = (ContextAutoencoder) Methods.create("context-ae", new MethodParams("context-ae",
                Methods.defaults("context-ae")).with("decoder-hidden", 64).with("decoder-channels", 8));
        assertEquals(32, m.rowsPerImage(AUG));
        assertArrayEquals(new int[] {8, 8}, m.inputSize(AUG, 32, 32));
        ImagePatcher patcher = new ImagePatcher(m.patchSettings(AUG, 1));
        List<List<PatchRecord>> rows = new ArrayList<>();
        for (ImageRecord img : images(16)) {
            rows.add(patcher.patch(img));
        }
        float[] mean = {0.5f, 0.5f, 0.5f};
        float[] std = {0.25f, 0.25f, 0.25f};
        MultiDataSet ds = m.assemblePatches(rows, mean, std, new SplittableRandom(2));
        assertArrayEquals(new long[] {16 * 4 * 8, 3, 8, 8}, ds.getFeatures(0).shape());
        assertArrayEquals(new long[] {16 * 4, 3, 8, 8}, ds.getLabels(0).shape());
        assertTrue(ds.getLabels(0).minNumber().doubleValue() >= 0 && ds.getLabels(0).maxNumber().doubleValue() <= 1);

        ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        double before = g.score(ds);
        for (int step = 0; step < 40; step++) {
            g.fit(m.assemblePatches(rows, mean, std, new SplittableRandom(100 + step)));
        }
        double after = g.score(ds);
        assertTrue(after < 0.5 * before, "the reconstruction loss falls: " + before + " -> " + after);

        ComputationGraph eval = m.evaluationGraph(g, "conv4", 0.25, 32, 32);
        INDArray img = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, 3, 32, 32);
        INDArray f = eval.outputSingle(false, img);
        int width = Backbones.get("conv4").featureDim(0.25);
        assertArrayEquals(new long[] {3, 16L * width}, f.shape());
        // block j of image n is the tower's embedding of patch j of image n
        ComputationGraph tower = EncoderSubgraph.extract(g, List.of(Backbones.EMBEDDING));
        INDArray patch = img.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(8, 16),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(16, 24)).dup().reshape(1, 3, 8, 8);
        INDArray want = tower.outputSingle(false, patch);
        INDArray got = f.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 2),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(6L * width, 7L * width));
        assertTrue(want.equalsWithEps(got, 1e-4), want + " vs " + got);
    }

    @Test
    void selfieMasksQPatchesPerImageAndLearnsToFindThem() {
        Selfie m = (Selfie) Methods.create("selfie", new MethodParams("selfie", Methods.defaults("selfie"))
                .with("projection", 16).with("layers", 1).with("dropout", 0.0));
        assertEquals(16, m.rowsPerImage(AUG));
        assertArrayEquals(new int[] {8, 8}, m.inputSize(AUG, 32, 32));
        ImagePatcher patcher = new ImagePatcher(m.patchSettings(AUG, 1));
        List<List<PatchRecord>> rows = new ArrayList<>();
        for (ImageRecord img : images(12)) {
            rows.add(patcher.patch(img));
        }
        float[] mean = {0.5f, 0.5f, 0.5f};
        float[] std = {0.25f, 0.25f, 0.25f};
        MultiDataSet ds = m.assemblePatches(rows, mean, std, new SplittableRandom(2));
        assertArrayEquals(new long[] {12 * 16, 3, 8, 8}, ds.getFeatures(0).shape());
        INDArray keep = ds.getFeatures(1);
        INDArray mask = ds.getLabels(0);
        assertArrayEquals(new long[] {12 * 16, 1}, keep.shape());
        assertArrayEquals(new long[] {12, 16}, mask.shape());
        for (int i = 0; i < 12; i++) {
            assertEquals(4.0, mask.getRow(i).sumNumber().doubleValue(), 0.0, "Q = 4 masked in image " + i);
            for (int j = 0; j < 16; j++) {
                assertEquals(1.0 - mask.getDouble(i, j), keep.getDouble(i * 16 + j, 0), 0.0);
            }
        }
        // image-major: row i * 16 + m is patch m of image i
        float[] want = new float[3 * 64];
        PatchClassifier.patchTensor(rows.get(3).get(0), 5, mean, std, want, 0);
        assertArrayEquals(want, ds.getFeatures(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point(3 * 16 + 5))
                .dup().reshape(3 * 64).toFloatVector());
        assertNotEquals(mask, m.assemblePatches(rows, mean, std, new SplittableRandom(3)).getLabels(0),
                "the masked positions are drawn per step");

        ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        double before = g.score(ds);
        for (int step = 0; step < 30; step++) {
            g.fit(m.assemblePatches(rows, mean, std, new SplittableRandom(100 + step)));
        }
        double after = g.score(ds);
        assertTrue(after < 0.9 * before, "the masked patch loss falls: " + before + " -> " + after);
        assertThrows(UserError.class, () -> Methods.create("selfie", new MethodParams("selfie",
                Methods.defaults("selfie")).with("heads", 3)).configuration(ModelSpec.of("conv4", 0.25, 8, 8,
                new Adam(1e-3)), 1));
    }

    static Selfie dv2(Object... kv) {
        MethodParams p = new MethodParams("dv2", Methods.defaults("dv2")).with("projection", 16).with("layers", 1)
                .with("dropout", 0.0).with("vocabulary-size", 64);
        for (int i = 0; i < kv.length; i += 2) {
            p = p.with((String) kv[i], kv[i + 1]);
        }
        return (Selfie) Methods.create("dv2", p);
    }

    @Test
    void dv2AddsTheWholeViewAsAnImageTokenAndTrainsItsVocabulariesUnderOneWorker() {
        Selfie m = dv2();
        assertEquals(17, m.rowsPerImage(AUG));
        ImagePatcher patcher = new ImagePatcher(m.patchSettings(AUG, 1));
        List<List<PatchRecord>> rows = new ArrayList<>();
        for (ImageRecord img : images(8)) {
            rows.add(patcher.patch(img));
        }
        float[] mean = {0.5f, 0.5f, 0.5f};
        float[] std = {0.25f, 0.25f, 0.25f};
        MultiDataSet ds = m.assemblePatches(rows, mean, std, new SplittableRandom(2));
        assertArrayEquals(new long[] {8 * 17, 3, 8, 8}, ds.getFeatures(0).shape());
        assertEquals(4, ds.getLabels().length, "L_mp, L_mi, the patch and the image vocabularies");
        assertArrayEquals(new long[] {8, 16}, ds.getLabels(0).shape());
        assertArrayEquals(new long[] {8, 1}, ds.getLabels(1).shape());
        assertEquals(ds.getLabels(0), ds.getLabels(2));
        for (int i = 0; i < 8; i++) {
            assertEquals(0.0, ds.getFeatures(1).getDouble(i * 17 + 16, 0), 0.0, "the whole view enters as [IMG]");
        }
        // row 16 of image 2 is its view average-pooled 4 x 4: pixel (0, 0) is the mean of patch 0's top-left 4 x 4
        PatchRecord r = rows.get(2).get(0);
        byte[] p0 = r.patches().get(0);
        for (int c = 0; c < 3; c++) {
            int sum = 0;
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    sum += p0[(y * 8 + x) * 3 + c] & 0xff;
                }
            }
            double want = (Math.round(sum / 16.0) / 255.0 - 0.5) / 0.25;
            assertEquals(want, ds.getFeatures(0).getDouble(2 * 17 + 16, c, 0, 0), 1e-5, "channel " + c);
        }
        // pixel (7, 7) pools patch 15's bottom-right block
        byte[] p15 = r.patches().get(15);
        int sum = 0;
        for (int y = 4; y < 8; y++) {
            for (int x = 4; x < 8; x++) {
                sum += p15[(y * 8 + x) * 3] & 0xff;
            }
        }
        assertEquals((Math.round(sum / 16.0) / 255.0 - 0.5) / 0.25, ds.getFeatures(0).getDouble(2 * 17 + 16, 0, 7, 7),
                1e-5);

        assertTrue(m.refusal("shared", 1).orElseThrow().contains("vocabular"));
        assertTrue(m.refusal("paramavg", 2).orElseThrow().contains("train.workers = 1"));
        assertTrue(m.refusal("paramavg", 1).isEmpty());
        assertTrue(dv2("vocabulary", false).refusal("shared", 2).isEmpty());

        ComputationGraphConfiguration conf = m.configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        assertEquals(conf.toJson(), ComputationGraphConfiguration.fromJson(conf.toJson()).toJson());
        for (String sa : List.of("sa2", "sa3", "sa4")) {
            assertNotNull(conf.getVertices().get(sa), "the hybrid architecture: self-attention after " + sa);
        }
        // no leak: the codes of the visible patches do not depend on a masked patch or on the whole view
        ComputationGraph fresh = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        INDArray codes = fresh.feedForward(new INDArray[] {ds.getFeatures(0), ds.getFeatures(1)}, false)
                .get(Backbones.EMBEDDING).dup();
        INDArray poked = ds.getFeatures(0).dup();
        int maskedRow = -1;
        for (int j = 0; j < 16 && maskedRow < 0; j++) {
            if (ds.getFeatures(1).getDouble(j, 0) == 0) {
                maskedRow = j;
            }
        }
        poked.get(org.nd4j.linalg.indexing.NDArrayIndex.point(maskedRow)).assign(5);
        poked.get(org.nd4j.linalg.indexing.NDArrayIndex.point(16)).assign(-5);
        INDArray codes2 = fresh.feedForward(new INDArray[] {poked, ds.getFeatures(1)}, false).get(Backbones.EMBEDDING);
        for (int j = 0; j < 16; j++) {
            if (ds.getFeatures(1).getDouble(j, 0) == 1) {
                assertTrue(codes.getRow(j).equalsWithEps(codes2.getRow(j), 1e-6), "visible patch " + j + " saw it");
            }
        }
        assertFalse(codes.getRow(maskedRow).equalsWithEps(codes2.getRow(maskedRow), 1e-6));
        // whole images are evaluated by the patch network without its self-attention (the identity for them)
        ComputationGraph eval = m.evaluationGraph(fresh, "conv4", 0.25, 32, 32);
        INDArray f = EncoderSubgraph.extract(eval, List.of(m.evaluationLayer())).outputSingle(false,
                Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 3, 32, 32));
        assertArrayEquals(new long[] {5, Backbones.get("conv4").featureDim(0.25)}, f.shape());
        ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        INDArray masses = g.getParam("patch_vocabulary_masses").dup();
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images(4 * B), 1);
        PatchBatchSource src = new PatchBatchSource(rdd, B, AUG, mean, std, 3, m);
        MultiDataSet monitor = src.epoch(0).first();
        double first = g.score(monitor);
        TrainerSettings s = TrainerSettings.of(1, m.rowsPerImage(AUG) * B).withAveragingFrequency(2);
        try (DistributedTrainer t = DistributedTrainers.create("paramavg", s, jsc)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                assertEquals(4L, t.fitEpochChunk(g, src.epoch(epoch)));
            }
        }
        double after = g.score(monitor);
        assertTrue(Double.isFinite(after) && after < first, "dv2's loss falls: " + first + " -> " + after);
        assertNotEquals(masses, g.getParam("patch_vocabulary_masses"), "the vocabulary moved in the worker and came back");

        // the ablations: without both switches it is Selfie's graph (one output)
        Selfie plain = dv2("double-view", false, "vocabulary", false);
        assertEquals(16, plain.rowsPerImage(AUG));
        assertEquals(1, plain.configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7)
                .getNetworkOutputs().size());
        assertEquals(1, plain.assemblePatches(rows, mean, std, new SplittableRandom(2)).getLabels().length);
        assertEquals(3, dv2("double-view", false).configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7)
                .getNetworkOutputs().size() + 1, "L_mp and the patch vocabulary");
        assertThrows(UserError.class, () -> dv2("vocabulary", "maybe"));

        // transformed positives: D = 2 versions of each image, consecutive, each masked on its own
        Selfie two = dv2("versions", 2);
        assertEquals(34, two.rowsPerImage(AUG));
        ImagePatcher twoCuts = new ImagePatcher(two.patchSettings(AUG, 1));
        List<List<PatchRecord>> pairs = new ArrayList<>();
        for (ImageRecord img : images(4)) {
            pairs.add(twoCuts.patch(img));
        }
        assertEquals(2, pairs.get(0).size());
        MultiDataSet dd = two.assemblePatches(pairs, mean, std, new SplittableRandom(5));
        assertArrayEquals(new long[] {4 * 2 * 17, 3, 8, 8}, dd.getFeatures(0).shape());
        assertArrayEquals(new long[] {8, 16}, dd.getLabels(0).shape());
        float[] v1 = new float[3 * 64];
        PatchClassifier.patchTensor(pairs.get(1).get(1), 7, mean, std, v1, 0);
        assertArrayEquals(v1, dd.getFeatures(0).get(org.nd4j.linalg.indexing.NDArrayIndex.point((1 * 2 + 1) * 17 + 7))
                .dup().reshape(3 * 64).toFloatVector(), "version 1 of image 1 at rows (1 D + 1) T ..");
        ComputationGraph gg = two.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(3e-3)), 7);
        double s0 = gg.score(dd);
        for (int step = 0; step < 5; step++) {
            gg.fit(two.assemblePatches(pairs, mean, std, new SplittableRandom(50 + step)));
        }
        assertTrue(Double.isFinite(s0) && gg.score(dd) < s0, "D = 2 trains: " + s0 + " -> " + gg.score(dd));
    }
}
