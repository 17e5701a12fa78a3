package dev.pretext.method;

import dev.pretext.nn.Encoder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Random;

import dev.pretext.UserError;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.CpuAcceleration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

class SimClrTest {

    static final int B = 8;
    static final int S = 16;

    @BeforeAll
    static void acceleration() {
        CpuAcceleration.enable();
    }

    static float[] randomImages(Random r, int n) {
        float[] x = new float[n * 3 * S * S];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Two "views": the images plus independent noise. */
    static MultiDataSet batch(SimClr m, long seed) {
        Random r = new Random(seed);
        float[] images = randomImages(r, B);
        float[] a = images.clone();
        float[] b = images.clone();
        for (int i = 0; i < images.length; i++) {
            a[i] += (float) (0.3 * r.nextGaussian());
            b[i] += (float) (0.3 * r.nextGaussian());
        }
        return m.assemble(new float[][] {a, b}, B, S, S);
    }

    static ModelSpec tiny() {
        return ModelSpec.of("conv4", 0.25, S, S, new Adam(1e-3));
    }

    @Test
    void fitStepsAreFiniteAndLossDecreasesOnAFixedBatch() {
        SimClr m = SimClr.withTemperature(0.5);
        ComputationGraph g = m.build(tiny(), 42);
        MultiDataSet ds = batch(m, 1);
        double first = g.score(ds, true);
        assertTrue(Double.isFinite(first));
        // chance level: every other row equally similar -> log(2B - 1)
        assertEquals(Math.log(2 * B - 1), first, 1.0);
        double last = first;
        for (int step = 0; step < 8; step++) {
            g.fit(ds);
            last = g.score();
            assertTrue(Double.isFinite(last), "step " + step);
            assertTrue(Double.isFinite(g.params().sumNumber().doubleValue()), "params after step " + step);
        }
        double after = g.score(ds, true);
        assertTrue(after < first - 0.05, "loss did not decrease: " + first + " -> " + after + " (last fit " + last + ")");
    }

    @Test
    void assemblesViewsAndPairIds() {
        SimClr m = SimClr.withTemperature(0.5);
        float[] a = new float[2 * 3 * 2 * 2];
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
            b[i] = 100 + i;
        }
        MultiDataSet ds = m.assemble(new float[][] {a, b}, 2, 2, 2);
        assertArrayEquals(new long[] {4, 3, 2, 2}, ds.getFeatures(0).shape());
        assertArrayEquals(new long[] {4, 1}, ds.getLabels(0).shape());
        assertArrayEquals(new float[] {0, 1, 0, 1}, ds.getLabels(0).toFloatVector());
        assertEquals(0f, ds.getFeatures(0).getFloat(0, 0, 0, 0));
        assertEquals(12f, ds.getFeatures(0).getFloat(1, 0, 0, 0));        // image 1 of view a
        assertEquals(100f, ds.getFeatures(0).getFloat(2, 0, 0, 0));       // image 0 of view b
        assertEquals(100f + 23, ds.getFeatures(0).getFloat(3, 2, 1, 1));  // last value of view b
    }

    @Test
    void rejectsMalformedViews() {
        SimClr m = SimClr.withTemperature(0.5);
        float[] ok = new float[2 * 3 * 4 * 4];
        assertThrows(IllegalArgumentException.class, () -> m.assemble(new float[][] {ok, new float[ok.length - 1]}, 2, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> m.assemble(new float[][] {ok, ok}, 3, 4, 4));
        float[] nan = ok.clone();
        nan[50] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.assemble(new float[][] {ok, nan}, 2, 4, 4));
        assertTrue(e.getMessage().contains("view 1") && e.getMessage().contains("image 1"), e.getMessage());
    }

    @Test
    void encoderFeaturesAreInferenceModeAndChunked() {
        SimClr m = SimClr.withTemperature(0.5);
        ComputationGraph g = m.build(tiny(), 3);
        g.fit(batch(m, 2));                      // non-trivial BN running statistics
        INDArray params = g.params().dup();
        INDArray x = batch(m, 5).getFeatures(0);
        INDArray all = Encoder.embed(g, m.encoderLayer(), x, 100);
        INDArray chunked = Encoder.embed(g, m.encoderLayer(), x, 3);
        assertArrayEquals(new long[] {2 * B, Backbones.get("conv4").featureDim(0.25)}, all.shape());
        assertTrue(all.equalsWithEps(chunked, 1e-5), "chunking changed the features");
        assertEquals(params, g.params(), "inference must not change parameters or BN statistics");
        // inference mode: a row's features do not depend on the other rows of the batch
        INDArray single = Encoder.embed(g, m.encoderLayer(), x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all()), 1);
        assertTrue(single.getRow(0).equalsWithEps(all.getRow(0), 1e-5));
        assertThrows(IllegalArgumentException.class, () -> Encoder.embed(g, "nope", x, 4));
    }

    @Test
    void resnetBackboneParamsMatchPeer() {
        ComputationGraph g = SimClr.withTemperature(0.5).build(ModelSpec.of("resnet18-cifar", 0.25, 32, 32, new Adam(1e-3)), 1);
        assertEquals(700_176, Encoder.backboneParams(g));
        // projector: 128x128 (no bias) + BN 2x128 + 128x128 + 128 bias
        assertEquals(700_176 + 128 * 128 + 256 + 128 * 128 + 128,
                dev.pretext.nn.ParamCounts.trainable(g));
    }

    @Test
    void specIsValidated() {
        assertThrows(UserError.class, () -> ModelSpec.of("vgg", 1, 32, 32, new Adam()));
        assertThrows(UserError.class, () -> ModelSpec.of("conv4", 0, 32, 32, new Adam()));
        assertThrows(UserError.class, () -> ModelSpec.of("conv4", 1, 0, 32, new Adam()));
        assertThrows(UserError.class, () -> ModelSpec.of("conv4", 1, 32, 32, null));
        assertThrows(UserError.class, () -> new ModelSpec("conv4", 1, 32, 32, 0, 0, new Adam(), 0));
        assertEquals(64, tiny().resolvedProjectionHidden());
    }

    @Test
    void trainedGraphSurvivesJsonAndModelSerializer(@TempDir Path dir) throws Exception {
        SimClr m = SimClr.withTemperature(0.5);
        ComputationGraphConfiguration conf = m.configuration(tiny(), 7);
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        ComputationGraph g = m.build(tiny(), 7);
        MultiDataSet ds = batch(m, 3);
        g.fit(ds);
        File f = dir.resolve("simclr.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), back.params());
        assertEquals(g.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());
        assertEquals(g.score(ds, false), back.score(ds, false), 1e-6);
        // training continues identically from the restored copy
        g.fit(ds);
        back.fit(ds);
        assertTrue(g.params().equalsWithEps(back.params(), 1e-6));
    }
}
