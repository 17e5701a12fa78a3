package dev.pretext.method;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import dev.pretext.spark.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.api.MultiDataSet;

class ViewsBatchSourceTest extends SparkTestBase {
    static final float[] MEAN = {0.5f, 0.5f, 0.5f};
    static final float[] STD = {0.25f, 0.25f, 0.25f};

    static List<ImageRecord> images(int n) {
        List<ImageRecord> out = new ArrayList<>();
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[8 * 8 * 3];
            r.nextBytes(px);
            out.add(new ImageRecord("t/" + i, "train", -1, -1, 8, 8, 3, ImageRecord.RAW, px, "synthetic#" + i));
        }
        return out;
    }

    /** STL-10's case: 1,500 images in 8 shards, batch 128 -> 8 partitions of ~190, 1 batch each, before. */
    @Test
    void partitionsSmallerThanAMinibatchAreSpreadSoNoPartitionIsEmpty() {
        // 6 partitions of 20 images with batch 32: every partition would yield no batch at all
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images(120), 6);
        ViewsBatchSource src = new ViewsBatchSource(rdd, 32, AugmentSpec.simclr(8), MEAN, STD,
                1, Methods.withDefaults("simclr"));
        JavaRDD<MultiDataSet> epoch = src.epoch(0);
        assertEquals(1, epoch.getNumPartitions());
        List<Integer> perPartition = epoch.mapPartitions(it -> {
            int n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(n).iterator();
        }).collect();
        assertTrue(perPartition.stream().allMatch(n -> n >= 1), "a partition without a minibatch: " + perPartition);
        assertEquals(96, src.imagesPerEpoch());
    }

    @Test
    void manySmallPartitionsThatWouldDropMuchOfTheDataAreMerged() {
        // 1,500 images in 8 partitions of ~187 with batch 128: 1 batch each, 476 images dropped
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images(1500), 8);
        ViewsBatchSource src = new ViewsBatchSource(rdd, 128, AugmentSpec.simclr(8), MEAN, STD,
                1, Methods.withDefaults("simclr"));
        assertEquals(1, src.epoch(0).getNumPartitions());
        assertEquals(11 * 128, src.imagesPerEpoch());   // 92 dropped, not 476
    }

    @Test
    void wellFilledPartitionsAreKept() {
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images(1280), 2);
        ViewsBatchSource src = new ViewsBatchSource(rdd, 32, AugmentSpec.simclr(8), MEAN, STD,
                1, Methods.withDefaults("simclr"));
        assertEquals(2, src.epoch(0).getNumPartitions());
        assertEquals(1280, src.imagesPerEpoch());
    }

    /** Every image's K views land in the same minibatch, in blocks (view k of image i at row k*B + i), for K = 2, 4, 8. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 4, 8})
    void allKViewsOfAnImageAreInOneMinibatch(int k) {
        PretextMethod m = Methods.create("msbreg", new MethodParams("msbreg", Methods.defaults("msbreg")).with("views", k));
        JavaRDD<ImageRecord> rdd = jsc.parallelize(images(96), 3);
        ViewsBatchSource src = new ViewsBatchSource(rdd, 8, AugmentSpec.simclr(8), MEAN, STD, 1, m);
        List<MultiDataSet> batches = src.epoch(0).collect();
        assertEquals(96 / 8, batches.size());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (MultiDataSet b : batches) {
            org.nd4j.linalg.api.ndarray.INDArray x = b.getFeatures(0);
            assertArrayEquals(new long[] {8L * k, 3, 8, 8}, x.shape());
            float[] ids = b.getLabels(0).toFloatVector();
            for (int v = 0; v < k; v++) {
                for (int i = 0; i < 8; i++) {
                    assertEquals(i, ids[v * 8 + i], 0f, "label of view " + v + " of image " + i);
                }
            }
            // the K views of image i are different crops of the same image: not identical rows
            for (int i = 0; i < 8; i++) {
                assertNotEquals(x.slice(i), x.slice(8 + i));
                seen.add(java.util.Arrays.toString(x.slice(i).dup().reshape(-1).toFloatVector()));
            }
        }
        assertEquals(96, seen.size(), "every image appears once per epoch");
    }

    /**
     * A method whose views share one draw ({@link PretextMethod#drawIndex}): rotation's 4 views of an
     * image, made in the executors, are one crop in 4 orientations (row k*B + i is row i turned k times).
     */
    @Test
    void viewsSharingADrawAreOneDrawTransformed() {
        PretextMethod m = Methods.withDefaults("rotation");
        ViewsBatchSource src = new ViewsBatchSource(jsc.parallelize(images(32), 2), 8, AugmentSpec.simclr(8), MEAN, STD,
                1, m);
        for (MultiDataSet b : src.epoch(0).collect()) {
            org.nd4j.linalg.api.ndarray.INDArray x = b.getFeatures(0);
            for (int i = 0; i < 8; i++) {
                float[] upright = x.slice(i).dup().reshape(-1).toFloatVector();
                for (int k = 1; k < 4; k++) {
                    upright = turnChw(upright, 8);
                    assertArrayEquals(upright, x.slice(k * 8 + i).dup().reshape(-1).toFloatVector(),
                            "rotation " + k + " of image " + i);
                }
            }
        }
        PretextMethod bad = new PretextMethod() {
            @Override
            public String name() {
                return "bad";
            }

            @Override
            public List<dev.pretext.augment.ViewRecipe> views(AugmentSpec base) {
                return m.views(base);
            }

            @Override
            public int drawIndex(int view) {
                return view + 1;
            }

            @Override
            public org.deeplearning4j.nn.conf.ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
                return m.configuration(spec, seed);
            }

            @Override
            public MultiDataSet assemble(float[][] views, int batchSize, int height, int width) {
                return m.assemble(views, batchSize, height, width);
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ViewsBatchSource(
                jsc.parallelize(images(32), 2), 8, AugmentSpec.simclr(8), MEAN, STD, 1, bad));
        assertTrue(e.getMessage().contains("view 3 is drawn as view 4"), e.getMessage());
    }

    /** A square CHW float image of side {@code n} turned a quarter counter-clockwise: (r, c) -> (n-1-c, r). */
    static float[] turnChw(float[] chw, int n) {
        float[] out = new float[chw.length];
        for (int ch = 0; ch < chw.length / (n * n); ch++) {
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    out[ch * n * n + (n - 1 - c) * n + r] = chw[ch * n * n + r * n + c];
                }
            }
        }
        return out;
    }
}
