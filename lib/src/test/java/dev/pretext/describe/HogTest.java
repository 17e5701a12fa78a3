package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HogTest {

    /**
     * The textbook algorithm in the plainest form: per pixel, angle in degrees, the two nearest bin
     * centres b * 180 / bins, cell sums, then each block L2-normalised, clipped, renormalised.
     */
    static double[] reference(ImageRecord img, int cell, int bins, int block, double clip) {
        int h = img.height();
        int w = img.width();
        double[][] g = new double[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                g[y][x] = (0.299 * img.pixel(y, x, 0) + 0.587 * img.pixel(y, x, 1) + 0.114 * img.pixel(y, x, 2)) / 255.0;
            }
        }
        int cy = h / cell;
        int cx = w / cell;
        double[][][] hist = new double[cy][cx][bins];
        for (int y = 0; y < cy * cell; y++) {
            for (int x = 0; x < cx * cell; x++) {
                double gx = (x == 0 || x == w - 1) ? 0 : g[y][x + 1] - g[y][x - 1];
                double gy = (y == 0 || y == h - 1) ? 0 : g[y + 1][x] - g[y - 1][x];
                double mag = Math.sqrt(gx * gx + gy * gy);
                double angle = Math.toDegrees(Math.atan2(gy, gx));
                angle = ((angle % 180) + 180) % 180;
                double width = 180.0 / bins;
                for (int b = 0; b < bins; b++) {
                    // circular distance to this bin's centre, in bins
                    double d = Math.abs(angle - b * width);
                    d = Math.min(d, 180 - d) / width;
                    if (d < 1) {
                        hist[y / cell][x / cell][b] += mag * (1 - d);
                    }
                }
            }
        }
        int by = cy - block + 1;
        int bx = cx - block + 1;
        double[] out = new double[by * bx * block * block * bins];
        int o = 0;
        for (int i = 0; i < by; i++) {
            for (int j = 0; j < bx; j++) {
                double[] v = new double[block * block * bins];
                int k = 0;
                for (int a = i; a < i + block; a++) {
                    for (int b = j; b < j + block; b++) {
                        for (int t = 0; t < bins; t++) {
                            v[k++] = hist[a][b][t];
                        }
                    }
                }
                normalise(v);
                for (int t = 0; t < v.length; t++) {
                    v[t] = Math.min(v[t], clip);
                }
                normalise(v);
                for (double x : v) {
                    out[o++] = x;
                }
            }
        }
        return out;
    }

    private static void normalise(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        double n = Math.sqrt(s + 1e-10);
        for (int i = 0; i < v.length; i++) {
            v[i] /= n;
        }
    }

    @Test
    void matchesPlainReference() {
        Hog hog = new Hog();
        for (int[] hw : new int[][]{{32, 32}, {21, 40}}) {
            ImageRecord img = DescribeImages.random("r", hw[0], hw[1], 11);
            double[] want = reference(img, 8, 9, 2, 0.2);
            float[] got = hog.compute(img);
            assertEquals(hog.dimension(hw[0], hw[1]), got.length);
            assertEquals(want.length, got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(want[i], got[i], 1e-6, "index " + i);
            }
        }
        Hog other = new Hog(4, 6, 3, 0.3);
        ImageRecord img = DescribeImages.texture("t", 24, 2, 6, 0, 0, 3);
        double[] want = reference(img, 4, 6, 3, 0.3);
        float[] got = other.compute(img);
        assertEquals(want.length, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want[i], got[i], 1e-6, "index " + i);
        }
    }

    @Test
    void dimensionsForTheDatasetsSizes() {
        Hog hog = new Hog();
        assertEquals(3 * 3 * 4 * 9, hog.dimension(32, 32));
        assertEquals(11 * 11 * 4 * 9, hog.dimension(96, 96));
        assertEquals(7 * 7 * 4 * 9, hog.dimension(64, 64));
        assertEquals(1 * 2 * 4 * 9, hog.dimension(16, 31));
        assertThrows(UserError.class, () -> hog.dimension(15, 64));
        UserError e = assertThrows(UserError.class, () -> hog.compute(DescribeImages.random("tiny/1", 8, 8, 1)));
        assertTrue(e.getMessage().contains("tiny/1") && e.getMessage().contains("16"), e.getMessage());
    }

    @Test
    void constantImageIsAllZeros() {
        for (float v : new Hog().compute(DescribeImages.constant(32, 32, 90, 200, 13))) {
            assertEquals(0f, v);
        }
    }

    @Test
    void verticalEdgePutsAllMassInTheHorizontalGradientBin() {
        // dark left half, bright right half: gradients point along +x (0 degrees) -> bin 0
        ImageRecord edge = DescribeImages.grey("edge", 32, 32, (y, x) -> x < 13 ? 20 : 220);
        float[] h = new Hog().compute(edge);
        double inBin0 = 0;
        double elsewhere = 0;
        for (int i = 0; i < h.length; i++) {
            if (i % 9 == 0) {
                inBin0 += h[i];
            } else {
                elsewhere += Math.abs(h[i]);
            }
        }
        assertTrue(inBin0 > 1, "edge energy in bin 0: " + inBin0);
        assertEquals(0.0, elsewhere, 1e-12);
        // a horizontal edge: 90 degrees, halfway between the centres 80 and 100 (bins 4 and 5)
        float[] v = new Hog().compute(DescribeImages.grey("h", 32, 32, (y, x) -> y < 13 ? 20 : 220));
        for (int i = 0; i < v.length; i++) {
            int bin = i % 9;
            if (bin != 4 && bin != 5) {
                assertEquals(0f, v[i], "index " + i);
            } else {
                assertEquals(v[i - bin + 4], v[i - bin + 5], 1e-6);
            }
        }
    }

    @Test
    void blocksAreNonNegativeWithL2NormAtMostOneAndClipped() {
        float[] h = new Hog().compute(DescribeImages.random("r", 40, 48, 5));
        int blockLen = 36;
        for (int b = 0; b < h.length / blockLen; b++) {
            double s = 0;
            for (int i = b * blockLen; i < (b + 1) * blockLen; i++) {
                assertTrue(h[i] >= 0);
                // after renormalisation a clipped value can grow again, but never past 1
                assertTrue(h[i] <= 1);
                s += h[i] * h[i];
            }
            assertTrue(Math.sqrt(s) <= 1 + 1e-6, "block " + b + " norm " + Math.sqrt(s));
            assertTrue(Math.sqrt(s) > 0.99, "a textured block is unit length: " + Math.sqrt(s));
        }
    }

    @Test
    void invariantToBrightnessScaling() {
        // L2-Hys removes a global contrast factor (up to eps and 8-bit rounding)
        ImageRecord a = DescribeImages.grey("a", 32, 32, (y, x) -> 40 + (x * 7 + y * 3) % 50);
        ImageRecord b = DescribeImages.grey("b", 32, 32, (y, x) -> 2 * (40 + (x * 7 + y * 3) % 50));
        float[] ha = new Hog().compute(a);
        float[] hb = new Hog().compute(b);
        for (int i = 0; i < ha.length; i++) {
            assertEquals(ha[i], hb[i], 1e-4);
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(UserError.class, () -> new Hog(0, 9, 2, 0.2));
        assertThrows(UserError.class, () -> new Hog(8, 1, 2, 0.2));
        assertThrows(UserError.class, () -> new Hog(8, 9, 0, 0.2));
        assertThrows(UserError.class, () -> new Hog(8, 9, 2, 0));
    }
}
