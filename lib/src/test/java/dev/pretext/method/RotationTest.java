package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ChwTensors;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;
import dev.pretext.nn.Backbones;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/** The rotation pretext task: its views, its minibatch, its graph and that it learns (no Spark: {@link MethodZooTest} trains it there). */
class RotationTest {
    static final float[] MEAN = ViewsBatchSourceTest.MEAN;
    static final float[] STD = ViewsBatchSourceTest.STD;

    static Rotation rotation(String key, Object value) {
        MethodParams p = new MethodParams(Rotation.NAME, Methods.defaults(Rotation.NAME));
        return (Rotation) Methods.create(Rotation.NAME, key == null ? p : p.with(key, value));
    }

    static List<ViewsBatchSource.Example> examples(List<ImageRecord> images) {
        List<ViewsBatchSource.Example> out = new ArrayList<>();
        images.forEach(i -> out.add(new ViewsBatchSource.Example(i, new float[0][])));
        return out;
    }

    @Test
    void fourViewsOfOneDrawTurnedZeroToThreeQuarterTurns() {
        AugmentSpec base = AugmentSpec.simclr(8);
        Rotation m = rotation(null, null);
        assertEquals(Rotation.CROP_FLIP, m.augment());
        List<ViewRecipe> v = m.views(base);
        assertEquals(4, v.size());
        for (int k = 0; k < 4; k++) {
            assertEquals(k, v.get(k).quarterTurns());
            assertEquals(0, m.drawIndex(k), "every rotation is made from view 0's draw");
            assertEquals(v.get(0).withQuarterTurns(k), v.get(k), "the views differ only by the turn");
        }
        // crop-flip: augment.*'s crop and flip, no colour jitter, grayscale or blur
        AugmentSpec s = v.get(0).spec();
        assertEquals(base.withProbabilities(base.flipP(), 0, 0, 0), s);
        assertEquals(base.cropScaleMin(), s.cropScaleMin());
        assertFalse(v.get(0).original());
        assertEquals(ViewRecipe.of(base), rotation("augment", "full").views(base).get(0));
        assertEquals(ViewRecipe.original(base), rotation("augment", "none").views(base).get(0));
        assertTrue(m.refusal("shared", 2).isEmpty() && m.refusal("paramavg", 2).isEmpty(), "no target network");
        assertTrue(m.stepHooks().isEmpty());
    }

    @Test
    void assembledMinibatchHoldsEachImagesOneViewInFourOrientationsWithOneHotLabels() {
        int b = 5;
        AugmentSpec base = AugmentSpec.simclr(8);
        Rotation m = rotation(null, null);
        List<ViewRecipe> recipes = m.views(base);
        List<ImageRecord> imgs = ViewsBatchSourceTest.images(b);
        int epoch = 3;
        long seed = 11;
        MultiDataSet ds = ViewsBatchSource.assemble(examples(imgs), epoch, recipes, MEAN, STD, seed, m);
        INDArray x = ds.getFeatures(0);
        INDArray y = ds.getLabels(0);
        assertArrayEquals(new long[] {4L * b, 3, 8, 8}, x.shape());
        assertArrayEquals(new long[] {4L * b, 4}, y.shape());
        int per = 3 * 8 * 8;
        boolean augmented = false;
        for (int i = 0; i < b; i++) {
            View drawn = recipes.get(0).view(imgs.get(i), ViewSeeds.seed(seed, imgs.get(i).id(), epoch, 0));
            augmented |= !Arrays.equals(drawn.pixels(), imgs.get(i).data());
            for (int k = 0; k < 4; k++) {
                int row = k * b + i;
                float[] want = new float[per];
                ChwTensors.normalized(drawn.rotated(k), MEAN, STD, want, 0);
                assertArrayEquals(want, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(row)).dup().data()
                        .asFloat(), "rotation " + k + " of image " + i);
                float[] label = new float[4];
                label[k] = 1;
                assertArrayEquals(label, y.getRow(row).toFloatVector(), "row " + row);
            }
        }
        assertTrue(augmented, "the draw crops and flips");
        assertEquals(Rotation.labels(b), y);
        // a later epoch draws again
        MultiDataSet later = ViewsBatchSource.assemble(examples(imgs), epoch + 1, recipes, MEAN, STD, seed, m);
        assertNotEquals(x, later.getFeatures(0));
        assertThrows(IllegalArgumentException.class, () -> m.assemble(new float[3][b * per], b, 8, 8));
    }

    @Test
    void graphHeadsAndSquareViews() {
        ModelSpec spec = ModelSpec.of("conv4", 0.25, 8, 8, new Adam(1e-3));
        int features = Backbones.get("conv4").featureDim(0.25);
        ComputationGraphConfiguration mlp = rotation(null, null).configuration(spec, 1);
        assertEquals(mlp, ComputationGraphConfiguration.fromJson(mlp.toJson()));
        ComputationGraph g = new ComputationGraph(mlp);
        g.init();
        assertArrayEquals(new long[] {features, features}, g.getLayer("head_fc1").getParam("W").shape());
        assertArrayEquals(new long[] {features, 4}, g.getLayer("head_fc2").getParam("W").shape());
        ComputationGraph wide = new ComputationGraph(rotation("head-hidden", 12).configuration(spec, 1));
        wide.init();
        assertArrayEquals(new long[] {12, 4}, wide.getLayer("head_fc2").getParam("W").shape());
        ComputationGraph linear = new ComputationGraph(rotation("head", "linear").configuration(spec, 1));
        linear.init();
        assertArrayEquals(new long[] {features, 4}, linear.getLayer("head_fc1").getParam("W").shape());
        assertNull(linear.getConfiguration().getVertices().get("head_fc2"), "one linear layer");
        INDArray out = linear.outputSingle(org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT,
                6, 3, 8, 8));
        assertArrayEquals(new long[] {6, 4}, out.shape());
        assertEquals(6.0, out.sumNumber().doubleValue(), 1e-4, "softmax rows");
        UserError e = assertThrows(UserError.class, () -> rotation(null, null)
                .configuration(ModelSpec.of("conv4", 0.25, 8, 10, new Adam(1e-3)), 1));
        assertTrue(e.getMessage().contains("augment.output-height") && e.getMessage().contains("8x10"), e.getMessage());
    }

    @Test
    void keysAreValidated() {
        UserError e = assertThrows(UserError.class, () -> rotation("augment", "jitter"));
        assertTrue(e.getMessage().contains("method.rotation.augment") && e.getMessage().contains("crop-flip"),
                e.getMessage());
        e = assertThrows(UserError.class, () -> rotation("head", "deep"));
        assertTrue(e.getMessage().contains("method.rotation.head"), e.getMessage());
        e = assertThrows(UserError.class, () -> rotation("head-hidden", -1));
        assertTrue(e.getMessage().contains("method.rotation.head-hidden"), e.getMessage());
        e = assertThrows(UserError.class, () -> rotation("views", 4));
        assertTrue(e.getMessage().contains("method.rotation.views") && e.getMessage().contains("head-hidden"),
                e.getMessage());
    }

    /**
     * 64 images whose upright is visible (bright top, dark bottom, a bar along the top, noise and a random
     * tint): the 4-way loss starts at about ln 4 and falls well below it in 30 local steps.
     */
    @Test
    void lossFallsWhereRotationIsLearnable() {
        int n = 64;
        int side = 16;
        Random r = new Random(1);
        List<ImageRecord> imgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[side * side * 3];
            int[] tint = {r.nextInt(60), r.nextInt(60), r.nextInt(60)};
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    for (int c = 0; c < 3; c++) {
                        int v = 200 - 150 * y / (side - 1) + tint[c] - 30 + r.nextInt(41) - 20 + (y < 3 ? 40 : 0);
                        px[(y * side + x) * 3 + c] = (byte) Math.max(0, Math.min(255, v));
                    }
                }
            }
            imgs.add(new ImageRecord("r/" + i, "train", -1, -1, side, side, 3, ImageRecord.RAW, px, "rot#" + i));
        }
        Rotation m = rotation(null, null);
        List<ViewRecipe> recipes = m.views(AugmentSpec.simclr(side));
        ComputationGraph g = m.build(ModelSpec.of("conv4", 0.25, side, side, new Adam(3e-3)), 5);
        int b = 16;
        MultiDataSet monitor = ViewsBatchSource.assemble(examples(imgs.subList(0, 32)), 999, recipes, MEAN, STD, 2, m);
        double before = g.score(monitor);
        assertEquals(Math.log(4), before, 0.35, "about chance at the start");
        int steps = 0;
        for (int epoch = 0; steps < 30; epoch++) {
            for (int s = 0; s + b <= n && steps < 30; s += b, steps++) {
                g.fit(ViewsBatchSource.assemble(examples(imgs.subList(s, s + b)), epoch, recipes, MEAN, STD, 2, m));
            }
        }
        double after = g.score(monitor);
        System.out.printf("rotation: monitor loss %.4f before, %.4f after %d steps%n", before, after, steps);
        assertTrue(after < 0.5, "loss after 30 steps " + after + " (before " + before + ", ln 4 = " + Math.log(4) + ")");
    }
}
