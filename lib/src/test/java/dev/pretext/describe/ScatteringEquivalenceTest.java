package dev.pretext.describe;

import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optimised {@link Scattering} computes what the pre-optimisation {@link ScatteringReference}
 * computes: every coefficient within 1e-5 absolute (coefficients lie in [0, 1] for pixels / 255, so
 * absolute is also the relative bound for the large ones). Measured on 96x96 noise: at most 4.4e-16
 * apart before the cast to float, and the floats identical; only the rounding of the sums differs.
 */
class ScatteringEquivalenceTest {
    private static final double TOLERANCE = 1e-5;

    static double maxAbsDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs((double) a[i] - b[i]));
        }
        return d;
    }

    private static void assertSame(Scattering fast, ScatteringReference ref, ImageRecord img) {
        float[] want = ref.compute(img);
        float[] got = fast.compute(img);
        double d = maxAbsDifference(want, got);
        assertTrue(d <= TOLERANCE, img.id() + " " + img.width() + "x" + img.height() + ": max difference " + d);
    }

    @Test
    void matchesTheReferenceOnSquareNonSquareAndTinyImages() {
        Scattering fast = new Scattering();
        ScatteringReference ref = new ScatteringReference();
        int[][] sizes = {{32, 32}, {96, 96}, {40, 56}, {56, 40}, {17, 30}, {1, 1}, {5, 9}, {64, 33}};
        for (int[] hw : sizes) {
            assertSame(fast, ref, DescribeImages.random("rgb", hw[0], hw[1], hw[0] * 131L + hw[1]));
            assertSame(fast, ref, grey(hw[0], hw[1], hw[0] + 7L * hw[1]));
        }
        assertSame(fast, ref, DescribeImages.texture("texture", 64, 3, 12, 0, 0, 3));
        assertSame(fast, ref, DescribeImages.constant(20, 28, 255, 51, 0));
    }

    /** Other J and L, including an odd L (a wavelet without a partner to share an FFT with). */
    @Test
    void matchesTheReferenceForOtherScalesAndOrientations() {
        int[][] jl = {{1, 8}, {3, 4}, {2, 3}, {3, 1}, {4, 6}};
        for (int[] p : jl) {
            Scattering fast = new Scattering(p[0], p[1]);
            ScatteringReference ref = new ScatteringReference(p[0], p[1]);
            assertEquals(ref.dimension(36, 44), fast.dimension(36, 44));
            assertSame(fast, ref, DescribeImages.random("j" + p[0] + "l" + p[1], 36, 44, p[0] * 10L + p[1]));
        }
    }

    /** Images of different sizes one after another on the same thread (the workspace is replaced). */
    @Test
    void sizesCanAlternateOnOneThread() {
        Scattering fast = new Scattering();
        ScatteringReference ref = new ScatteringReference();
        for (int i = 0; i < 3; i++) {
            assertSame(fast, ref, DescribeImages.random("a", 32, 32, i));
            assertSame(fast, ref, DescribeImages.random("b", 40, 56, i));
            assertSame(fast, ref, DescribeImages.random("c", 200, 260, i)); // over MAX_KEPT_CELLS: per-call buffers
        }
    }

    /** Eight threads on one shared instance, images of two sizes interleaved: the same floats as one thread. */
    @Test
    void concurrentCallsGiveTheSingleThreadedResults() throws Exception {
        Scattering shared = new Scattering();
        List<ImageRecord> images = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            images.add(i % 3 == 0 ? DescribeImages.random("s" + i, 40, 56, i) : DescribeImages.random("s" + i, 96, 96, i));
        }
        List<float[]> want = new ArrayList<>();
        Scattering single = new Scattering();
        for (ImageRecord img : images) {
            want.add(single.compute(img));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 2; round++) {
                List<Future<float[]>> got = new ArrayList<>();
                for (ImageRecord img : images) {
                    got.add(pool.submit(() -> shared.compute(img)));
                }
                for (int i = 0; i < images.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i).get(), "image " + i + " round " + round);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static ImageRecord grey(int h, int w, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] d = new byte[h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) rng.nextInt(256);
        }
        return DescribeImages.record("grey", h, w, 1, d);
    }
}
