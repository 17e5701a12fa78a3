package dev.pretext.augment;

import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GaussianBlurTest {

    @Test
    void kernelIsNormalisedSymmetricGaussian() {
        float[] k = GaussianBlur.kernel(5, 1.3);
        double sum = 0;
        for (float v : k) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-6);
        assertEquals(k[0], k[4]);
        assertEquals(k[1], k[3]);
        assertEquals(Math.exp(-0.5 * Math.pow(1 / 1.3, 2)), k[1] / (double) k[2], 1e-6);
        assertEquals(Math.exp(-0.5 * Math.pow(2 / 1.3, 2)), k[0] / (double) k[2], 1e-6);
        assertThrows(IllegalArgumentException.class, () -> GaussianBlur.kernel(4, 1.0));
    }

    @Test
    void reflectPaddingWithoutEdgeRepeat() {
        assertEquals(1, GaussianBlur.reflect(-1, 5));
        assertEquals(2, GaussianBlur.reflect(-2, 5));
        assertEquals(3, GaussianBlur.reflect(5, 5));
        assertEquals(2, GaussianBlur.reflect(6, 5));
        assertEquals(0, GaussianBlur.reflect(3, 1));
    }

    @Test
    void matchesDirect2dConvolution() {
        ImageRecord img = TestImages.random("b", 8, 11, 3, 9);
        int h = 8, w = 11, plane = h * w;
        for (int size : new int[]{3, 5}) {
            double sigma = 0.9;
            float[] buf = TestImages.planar(img);
            GaussianBlur.apply(buf, 3, h, w, GaussianBlur.kernel(size, sigma));
            double[] k1 = new double[size];
            double s = 0;
            for (int i = 0; i < size; i++) {
                k1[i] = Math.exp(-0.5 * Math.pow((i - (size - 1) / 2.0) / sigma, 2));
                s += k1[i];
            }
            int r = size / 2;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double want = 0;
                        for (int dy = -r; dy <= r; dy++) {
                            for (int dx = -r; dx <= r; dx++) {
                                int yy = mirror(y + dy, h), xx = mirror(x + dx, w);
                                want += k1[dy + r] / s * k1[dx + r] / s * img.pixel(yy, xx, c) / 255.0;
                            }
                        }
                        assertEquals(want, buf[c * plane + y * w + x], 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void tinySigmaIsNearlyIdentity() {
        ImageRecord img = TestImages.random("b", 6, 6, 3, 10);
        float[] buf = TestImages.planar(img);
        GaussianBlur.apply(buf, 3, 6, 6, GaussianBlur.kernel(3, 0.1));
        assertArrayEquals(TestImages.planar(img), buf, 1e-6f);
    }

    private static int mirror(int i, int n) {
        if (i < 0) {
            return -i;
        }
        return i >= n ? 2 * (n - 1) - i : i;
    }
}
