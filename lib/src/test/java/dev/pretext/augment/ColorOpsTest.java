package dev.pretext.augment;

import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.awt.Color;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each colour op against a plain double-precision per-pixel reference. */
class ColorOpsTest {
    private static final double TOL = 2e-6;
    private final ImageRecord img = TestImages.random("c", 5, 7, 3, 11);
    private final int plane = 35;

    @Test
    void brightnessScalesAndClamps() {
        for (float f : new float[]{0.6f, 1.0f, 1.37f}) {
            float[] buf = TestImages.planar(img);
            ColorOps.brightness(buf, plane, 3, f);
            for (int i = 0; i < buf.length; i++) {
                double x = source(i);
                assertEquals(Math.min(1.0, x * f), buf[i], TOL);
            }
        }
    }

    @Test
    void contrastBlendsWithMeanLuma() {
        double mean = 0;
        for (int i = 0; i < plane; i++) {
            mean += 0.299 * source(i) + 0.587 * source(plane + i) + 0.114 * source(2 * plane + i);
        }
        mean /= plane;
        for (float f : new float[]{0.6f, 1.4f, 0f}) {
            float[] buf = TestImages.planar(img);
            ColorOps.contrast(buf, plane, 3, f);
            for (int i = 0; i < buf.length; i++) {
                double want = Math.max(0, Math.min(1, f * source(i) + (1 - f) * mean));
                assertEquals(want, buf[i], TOL);
            }
        }
    }

    @Test
    void saturationBlendsWithOwnLuma() {
        for (float f : new float[]{0.6f, 1.4f, 0f}) {
            float[] buf = TestImages.planar(img);
            ColorOps.saturation(buf, plane, 3, f);
            for (int i = 0; i < plane; i++) {
                double l = 0.299 * source(i) + 0.587 * source(plane + i) + 0.114 * source(2 * plane + i);
                for (int c = 0; c < 3; c++) {
                    double want = Math.max(0, Math.min(1, f * source(c * plane + i) + (1 - f) * l));
                    assertEquals(want, buf[c * plane + i], TOL);
                }
            }
        }
    }

    @Test
    void saturationZeroIsGrayscale() {
        float[] a = TestImages.planar(img);
        float[] b = TestImages.planar(img);
        ColorOps.saturation(a, plane, 3, 0f);
        ColorOps.grayscale(b, plane, 3);
        for (int i = 0; i < a.length; i++) {
            assertEquals(b[i], a[i], 1e-6);
        }
    }

    @Test
    void grayscaleIsItuLuma() {
        float[] buf = TestImages.planar(img);
        ColorOps.grayscale(buf, plane, 3);
        for (int i = 0; i < plane; i++) {
            double l = 0.299 * source(i) + 0.587 * source(plane + i) + 0.114 * source(2 * plane + i);
            for (int c = 0; c < 3; c++) {
                assertEquals(l, buf[c * plane + i], TOL);
            }
        }
    }

    @Test
    void hueMatchesAwtHsbReference() {
        for (float shift : new float[]{0.1f, -0.1f, 0.5f, -0.37f, 0f}) {
            float[] buf = TestImages.planar(img);
            ColorOps.hue(buf, plane, 3, shift);
            for (int i = 0; i < plane; i++) {
                int r = img.data()[i * 3] & 0xff, g = img.data()[i * 3 + 1] & 0xff, b = img.data()[i * 3 + 2] & 0xff;
                float[] hsb = Color.RGBtoHSB(r, g, b, null);
                int rgb = Color.HSBtoRGB(hsb[0] + shift, hsb[1], hsb[2]);
                assertEquals((rgb >> 16) & 0xff, buf[i] * 255, 1.0, "r at " + i + " shift " + shift);
                assertEquals((rgb >> 8) & 0xff, buf[plane + i] * 255, 1.0, "g at " + i);
                assertEquals(rgb & 0xff, buf[2 * plane + i] * 255, 1.0, "b at " + i);
            }
        }
    }

    @Test
    void hueOfPrimariesRotatesExactly() {
        // red, shifted by a third of a turn, is green; by two thirds, blue
        float[] red = {1f, 0f, 0f};
        ColorOps.hue(red, 1, 3, 1f / 3f);
        assertEquals(0f, red[0], 1e-6);
        assertEquals(1f, red[1], 1e-6);
        assertEquals(0f, red[2], 1e-6);
        float[] gray = {0.4f, 0.4f, 0.4f};
        ColorOps.hue(gray, 1, 3, 0.25f);
        assertEquals(0.4f, gray[0], 0f);
        assertEquals(0.4f, gray[1], 0f);
        assertEquals(0.4f, gray[2], 0f);
    }

    @Test
    void oneChannelImagesIgnoreColourOnlyOps() {
        float[] buf = {0.1f, 0.5f, 0.9f};
        ColorOps.saturation(buf, 3, 1, 0.2f);
        ColorOps.hue(buf, 3, 1, 0.3f);
        ColorOps.grayscale(buf, 3, 1);
        assertEquals(0.1f, buf[0]);
        assertEquals(0.5f, buf[1]);
        assertEquals(0.9f, buf[2]);
        ColorOps.contrast(buf, 3, 1, 0.5f);
        assertEquals(0.5 * 0.1 + 0.5 * 0.5, buf[0], 1e-6);
        assertTrue(buf[2] < 0.9f);
    }

    private double source(int planarIndex) {
        int c = planarIndex / plane, i = planarIndex % plane;
        return (img.data()[i * 3 + c] & 0xff) / 255.0;
    }
}
