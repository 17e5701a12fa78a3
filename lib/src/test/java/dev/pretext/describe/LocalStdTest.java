package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocalStdTest {

    /** Population std of the window, border by symmetric (edge-repeating) padding, in doubles. */
    static double[] reference(ImageRecord img, int window) {
        int h = img.height();
        int w = img.width();
        int r = window / 2;
        double[] out = new double[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double[] vals = new double[window * window];
                    int n = 0;
                    for (int dy = -r; dy <= r; dy++) {
                        for (int dx = -r; dx <= r; dx++) {
                            vals[n++] = img.pixel(symmetric(y + dy, h), symmetric(x + dx, w), c) / 255.0;
                        }
                    }
                    double mean = 0;
                    for (double v : vals) {
                        mean += v / n;
                    }
                    double var = 0;
                    for (double v : vals) {
                        var += (v - mean) * (v - mean) / n;
                    }
                    out[(c * h + y) * w + x] = Math.sqrt(var);
                }
            }
        }
        return out;
    }

    private static int symmetric(int i, int size) {
        while (i < 0 || i >= size) {
            i = i < 0 ? -i - 1 : 2 * size - 1 - i;
        }
        return i;
    }

    @Test
    void matchesPlainReference() {
        for (int window : new int[]{3, 5}) {
            for (int[] hw : new int[][]{{9, 13}, {1, 4}, {2, 2}}) {
                ImageRecord img = DescribeImages.random("r", hw[0], hw[1], 3);
                LocalStd lsd = new LocalStd(window);
                double[] want = reference(img, window);
                float[] got = lsd.compute(img);
                assertEquals(lsd.dimension(hw[0], hw[1]), got.length);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(want[i], got[i], 1e-6, "window " + window + " index " + i);
                }
            }
        }
    }

    @Test
    void constantImageIsExactlyZero() {
        for (float v : new LocalStd().compute(DescribeImages.constant(7, 5, 3, 100, 255))) {
            assertEquals(0f, v);
        }
    }

    @Test
    void knownValuesAtAnEdge() {
        // columns 0..2 are 0, 3..5 are 255: the 3x3 window at column 2 sees 6 zeros and 3 x 1.0
        float[] s = new LocalStd().compute(DescribeImages.grey("e", 4, 6, (y, x) -> x < 3 ? 0 : 255));
        double want = Math.sqrt(3.0 / 9 - 1.0 / 9); // E[x^2] - E[x]^2 with E = 1/3
        assertEquals(want, s[1 * 6 + 2], 1e-7);
        assertEquals(want, s[1 * 6 + 3], 1e-7);
        assertEquals(0f, s[1 * 6 + 0]);
        assertEquals(0f, s[4 * 6 + 1 * 6 + 5], "channel 1, row 1, column 5");
    }

    @Test
    void greyOneChannelImageEqualsItsRgbVersion() {
        ImageRecord rgb = DescribeImages.grey("g", 5, 6, (y, x) -> 17 * x + 31 * y);
        byte[] one = new byte[30];
        for (int i = 0; i < 30; i++) {
            one[i] = rgb.data()[3 * i];
        }
        ImageRecord grey = DescribeImages.record("g", 5, 6, 1, one);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new LocalStd().compute(rgb), new LocalStd().compute(grey));
    }

    @Test
    void rejectsEvenWindowsAndBadRows() {
        assertThrows(UserError.class, () -> new LocalStd(4));
        assertThrows(UserError.class, () -> new LocalStd(0));
        ImageRecord bad = DescribeImages.record("bad/7", 4, 4, 3, new byte[10]);
        UserError e = assertThrows(UserError.class, () -> new LocalStd().compute(bad));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("bad/7") && e.getMessage().contains("48"),
                e.getMessage());
    }
}
