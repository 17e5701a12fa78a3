package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.data.ImageRecord;
import dev.pretext.nn.MvMrLoss;
import dev.pretext.spark.SparkTestBase;
import dev.pretext.train.DistributedTrainer;
import dev.pretext.train.DistributedTrainers;
import dev.pretext.train.TrainerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** MV-MR and distillation: their inputs, their graph, and a few steps under both trainers in local[2]. */
class MvMrTest extends SparkTestBase {
    static final int B = 8;

    static MvMr mvmr(Object descriptors) {
        return (MvMr) Methods.create("mvmr", new MethodParams("mvmr", Methods.defaults("mvmr"))
                .with("descriptors", descriptors).with("projector", List.of(32, 16)));
    }

    static MvMr distill(String teacher) {
        return (MvMr) Methods.create("distill", new MethodParams("distill", Methods.defaults("distill"))
                .with("teacher", teacher).with("projector", List.of(32, 16)));
    }

    /** Images with representations that depend on them (a mean colour, a noisy copy of a few pixels). */
    static List<ViewsBatchSource.Example> examples(int n, int[] widths) {
        List<ImageRecord> imgs = ViewsBatchSourceTest.images(n);
        Random r = new Random(5);
        List<ViewsBatchSource.Example> out = new ArrayList<>();
        for (ImageRecord img : imgs) {
            float[][] reps = new float[widths.length][];
            byte[] px = img.toRaw().data();
            for (int k = 0; k < widths.length; k++) {
                reps[k] = new float[widths[k]];
                for (int j = 0; j < widths[k]; j++) {
                    reps[k][j] = (px[(j * 7 + k) % px.length] & 0xFF) / 255f + 0.05f * (float) r.nextGaussian();
                }
            }
            out.add(new ViewsBatchSource.Example(img, reps));
        }
        return out;
    }

    @Test
    void keysAndRepresentations() {
        MvMr m = mvmr("hog,lsd");
        assertEquals(List.of("hog", "lsd"), m.representations().columns());
        assertEquals(List.of("image", "scattering", "augmented", "hog", "lsd"),
                Methods.withDefaults("mvmr").representations().columns());
        MvMr d = distill("runs/big=Big Teacher");
        assertEquals(List.of("teacher_big_teacher"), d.representations().columns());
        UserError none = assertThrows(UserError.class, () -> Methods.withDefaults("distill").representations());
        assertTrue(none.getMessage().contains("method.distill.teacher"), none.getMessage());
        UserError bad = assertThrows(UserError.class, () -> mvmr(List.of("hog", "sift")));
        assertTrue(bad.getMessage().contains("method.mvmr.descriptors") && bad.getMessage().contains("sift"),
                bad.getMessage());
        assertThrows(UserError.class, () -> mvmr("hog,hog"));
        assertThrows(UserError.class, () -> Methods.create("mvmr", new MethodParams("mvmr", Methods.defaults("mvmr"))
                .with("sign", "maximize-ish")));
        // the graph needs the widths, which come from the descriptors table
        IllegalStateException unbound = assertThrows(IllegalStateException.class,
                () -> m.configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 1));
        assertTrue(unbound.getMessage().contains("hog"), unbound.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.withRepresentationWidths(new int[] {3}));
        assertTrue(m.refusal("shared", 2).isEmpty() && m.refusal("paramavg", 2).isEmpty());
    }

    @Test
    void viewZeroIsTheWholeImageWhateverTheSeed() {
        AugmentSpec spec = AugmentSpec.simclr(8);
        List<ViewRecipe> views = mvmr("hog").views(spec);
        assertEquals(2, views.size());
        ImageRecord img = ViewsBatchSourceTest.images(1).get(0);
        View a = views.get(0).view(img, 1);
        View b = views.get(0).view(img, 99);
        assertArrayEquals(a.pixels(), b.pixels());
        assertArrayEquals(img.toRaw().data(), a.pixels(), "same size: the image itself");
        assertFalse(java.util.Arrays.equals(views.get(1).view(img, 1).pixels(), views.get(1).view(img, 99).pixels()));
    }

    @Test
    void assembleStacksTheViewsAndCarriesTheRepresentationsDistanceMatrices() {
        MvMr m = mvmr("hog,lsd").withRepresentationWidths(new int[] {2, 3});
        int b = 3;
        int per = 3 * 4 * 4;
        float[][] views = {new float[b * per], new float[b * per]};
        views[1][0] = 7;
        float[][] reps = {{1, 2, 3, 4, 0, 9}, {5, 6, 7, 8, 9, 10, -1, 0, 2}};
        MultiDataSet ds = m.assemble(views, reps, b, 4, 4);
        assertArrayEquals(new long[] {6, 3, 4, 4}, ds.getFeatures(0).shape());
        assertEquals(7f, ds.getFeatures(0).getFloat(3, 0, 0, 0));
        INDArray l = ds.getLabels(0);
        assertArrayEquals(new long[] {6, 6}, l.shape());            // [2B, B * K]
        double[][][] raw = {{{1, 2}, {3, 4}, {0, 9}}, {{5, 6, 7}, {8, 9, 10}, {-1, 0, 2}}};
        for (int k = 0; k < 2; k++) {
            double[][] a = dev.pretext.nn.DistanceCorrelation.doubleCentred(dev.pretext.nn.DistanceCorrelation
                    .distances(raw[k], dev.pretext.nn.DistanceCorrelation.DIST_EPS));
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    assertEquals(a[i][j], l.getDouble(i, j * 2 + k), 1e-5, "representation " + k + " (" + i + "," + j + ")");
                    assertEquals(a[i][j], l.getDouble(b + i, j * 2 + k), 1e-5);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> m.assemble(views, new float[][] {{1, 2, 3, 4}}, b, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> m.assemble(views, new float[][] {{1, 2, 3}, reps[1]}, b, 4, 4));
        reps[0][1] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> m.assemble(views, reps, b, 4, 4));
    }

    @Test
    void graphSurvivesJson() {
        MvMr m = mvmr("hog,lsd").withRepresentationWidths(new int[] {4, 9});
        ComputationGraphConfiguration conf = m.configuration(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7);
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        assertNotNull(conf.getVertices().get(m.encoderLayer()));
        assertNotNull(conf.getVertices().get("proj_fc2"));
        MvMrLoss loss = m.loss();
        assertArrayEquals(new int[] {4, 9}, loss.getWidths());
    }

    @Test
    void mvmrAndDistillTrainUnderBothTrainers() {
        for (MvMr unbound : List.of(mvmr("hog,lsd"), distill("/nowhere/teacher.zip=t"))) {
            int[] widths = unbound.name().equals("mvmr") ? new int[] {5, 12} : new int[] {7};
            MvMr m = unbound.withRepresentationWidths(widths);
            for (String trainer : List.of("paramavg", "shared")) {
                int workers = 2;
                ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3)), 7);
                INDArray before = g.params().dup();
                JavaRDD<ViewsBatchSource.Example> rdd = jsc.parallelize(examples(4 * B * workers, widths), workers);
                ViewsBatchSource src = ViewsBatchSource.withRepresentations(rdd, B, AugmentSpec.simclr(8),
                        ViewsBatchSourceTest.MEAN, ViewsBatchSourceTest.STD, 3, m);
                MultiDataSet monitor = src.epoch(0).first();
                assertArrayEquals(new long[] {2L * B, (long) B * widths.length}, monitor.getLabels(0).shape());
                double first = g.score(monitor);
                assertTrue(Double.isFinite(first) && first > 0, m.name() + ": initial loss " + first);
                TrainerSettings s = TrainerSettings.of(workers, 2 * B).withAveragingFrequency(2)
                        .withHooks(m.stepHooks());
                try (DistributedTrainer t = DistributedTrainers.create(trainer, s, jsc)) {
                    assertEquals(4L * workers, t.fitEpochChunk(g, src.epoch(0)));
                }
                double after = g.score(monitor);
                assertTrue(Double.isFinite(after), m.name() + " under " + trainer + ": loss " + after);
                assertNotEquals(before, g.params(), m.name() + " under " + trainer + ": parameters did not move");
            }
        }
    }
}
