package dev.pretext.eval;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PixelFeaturesTest {

    /**
     * Plain reference for area averaging: replicate every input pixel oh x ow times (an exact
     * (h*oh) x (w*ow) upsampling), then take the mean of each h x w block.
     */
    private static double[] reference(byte[] hwc, int h, int w, int c, int oh, int ow) {
        int bh = h * oh, bw = w * ow;
        double[] out = new double[oh * ow * c];
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                int sy = y / oh, sx = x / ow;    // the input pixel this fine cell copies
                int ty = y / h, tx = x / w;      // the output pixel whose block holds it
                for (int ch = 0; ch < c; ch++) out[(ty * ow + tx) * c + ch] += hwc[(sy * w + sx) * c + ch] & 0xff;
            }
        }
        for (int i = 0; i < out.length; i++) out[i] /= (double) h * w;
        return out;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void fourByFourToTwoByTwoIsTheMeanOfEachBlock() {
        byte[] img = bytes(
                0, 10, 20, 30,
                40, 50, 60, 70,
                80, 90, 100, 110,
                120, 130, 140, 255);
        double[] got = PixelFeatures.areaAverage(img, 4, 4, 1, 2, 2);
        assertArrayEquals(new double[]{25, 45, 105, 151.25}, got, 1e-12);
        assertArrayEquals(reference(img, 4, 4, 1, 2, 2), got, 1e-12);
    }

    @Test
    void sizesThatDoNotDivideWeighPartlyCoveredPixels() {
        // 3 x 3 to 2 x 2: each output covers 1.5 x 1.5 inputs; the centre pixel counts a quarter
        byte[] img = bytes(
                0, 30, 60,
                90, 120, 150,
                180, 210, 240);
        double[] got = PixelFeatures.areaAverage(img, 3, 3, 1, 2, 2);
        double topLeft = (0 + 30 * 0.5 + 90 * 0.5 + 120 * 0.25) / 2.25;
        assertEquals(topLeft, got[0], 1e-12);
        assertArrayEquals(reference(img, 3, 3, 1, 2, 2), got, 1e-12);

        Random rnd = new Random(3);
        int[][] cases = {{96, 96, 32, 32}, {7, 5, 3, 2}, {10, 3, 4, 1}, {64, 64, 32, 32}, {13, 17, 5, 7}};
        for (int[] s : cases) {
            byte[] x = new byte[s[0] * s[1] * 3];
            rnd.nextBytes(x);
            assertArrayEquals(reference(x, s[0], s[1], 3, s[2], s[3]),
                    PixelFeatures.areaAverage(x, s[0], s[1], 3, s[2], s[3]), 1e-9, java.util.Arrays.toString(s));
        }
    }

    @Test
    void reducedSizeKeepsTheLongerSideAtMostTheSetting() {
        assertArrayEquals(new int[]{32, 32}, PixelFeatures.reducedSize(32, 32, 32));   // CIFAR unchanged
        assertArrayEquals(new int[]{32, 32}, PixelFeatures.reducedSize(96, 96, 32));   // STL-10
        assertArrayEquals(new int[]{32, 32}, PixelFeatures.reducedSize(64, 64, 32));   // ImageNet 64
        assertArrayEquals(new int[]{24, 32}, PixelFeatures.reducedSize(75, 100, 32));
        assertArrayEquals(new int[]{1, 32}, PixelFeatures.reducedSize(2, 200, 32));
        assertArrayEquals(new int[]{20, 10}, PixelFeatures.reducedSize(20, 10, 32));
        byte[] same = bytes(1, 2, 3, 4);
        assertArrayEquals(new double[]{1, 2, 3, 4}, PixelFeatures.areaAverage(same, 2, 2, 1, 2, 2), 0.0);
    }
}
