package dev.pretext.augment;

import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CropResizeTest {

    @Test
    void fullCropWithoutResizeIsIdentity() {
        ImageRecord img = TestImages.random("a", 9, 13, 3, 1);
        float[] out = new float[9 * 13 * 3];
        CropResize.apply(img.data(), 9, 13, 3, 0, 0, 13, 9, 9, 13, false, out);
        float[] want = TestImages.planar(img);
        for (int i = 0; i < out.length; i++) {
            assertEquals(want[i], out[i], 1e-6);
        }
    }

    @Test
    void cropOfOutputSizeIsTheExactSubImage() {
        ImageRecord img = TestImages.random("a", 16, 16, 3, 2);
        float[] out = new float[8 * 6 * 3];
        CropResize.apply(img.data(), 16, 16, 3, 3, 5, 6, 8, 8, 6, false, out);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 6; x++) {
                    assertEquals(img.pixel(5 + y, 3 + x, c) / 255.0, out[c * 48 + y * 6 + x], 1e-6);
                }
            }
        }
    }

    @Test
    void flipMirrorsColumns() {
        ImageRecord img = TestImages.random("a", 4, 5, 3, 3);
        float[] plain = new float[60];
        float[] flipped = new float[60];
        CropResize.apply(img.data(), 4, 5, 3, 0, 0, 5, 4, 4, 5, false, plain);
        CropResize.apply(img.data(), 4, 5, 3, 0, 0, 5, 4, 4, 5, true, flipped);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals(plain[c * 20 + y * 5 + (4 - x)], flipped[c * 20 + y * 5 + x]);
                }
            }
        }
    }

    @Test
    void upscaleIsHalfPixelBilinear() {
        ImageRecord img = TestImages.random("a", 7, 6, 3, 4);
        int cx = 1, cy = 2, cw = 4, ch = 3, oh = 11, ow = 9;
        float[] out = new float[oh * ow * 3];
        CropResize.apply(img.data(), 7, 6, 3, cx, cy, cw, ch, oh, ow, false, out);
        for (int c = 0; c < 3; c++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double sy = clamp((oy + 0.5) * ch / oh - 0.5, 0, ch - 1);
                    double sx = clamp((ox + 0.5) * cw / ow - 0.5, 0, cw - 1);
                    int y0 = (int) Math.floor(sy), x0 = (int) Math.floor(sx);
                    int y1 = Math.min(y0 + 1, ch - 1), x1 = Math.min(x0 + 1, cw - 1);
                    double fy = sy - y0, fx = sx - x0;
                    double want = (1 - fy) * ((1 - fx) * px(img, cy + y0, cx + x0, c) + fx * px(img, cy + y0, cx + x1, c))
                            + fy * ((1 - fx) * px(img, cy + y1, cx + x0, c) + fx * px(img, cy + y1, cx + x1, c));
                    assertEquals(want, out[c * oh * ow + oy * ow + ox], 1e-5, "at " + c + "," + oy + "," + ox);
                }
            }
        }
    }

    @Test
    void downscaleIsAntialiasedTriangleFilter() {
        ImageRecord img = TestImages.random("a", 12, 15, 3, 5);
        int oh = 5, ow = 4;
        float[] out = new float[oh * ow * 3];
        CropResize.apply(img.data(), 12, 15, 3, 0, 0, 15, 12, oh, ow, false, out);
        double[] wy = new double[12], wx = new double[15];
        for (int c = 0; c < 3; c++) {
            for (int oy = 0; oy < oh; oy++) {
                triangle(wy, 12, oh, oy);
                for (int ox = 0; ox < ow; ox++) {
                    triangle(wx, 15, ow, ox);
                    double want = 0;
                    for (int y = 0; y < 12; y++) {
                        for (int x = 0; x < 15; x++) {
                            want += wy[y] * wx[x] * px(img, y, x, c);
                        }
                    }
                    assertEquals(want, out[c * oh * ow + oy * ow + ox], 1e-5);
                }
            }
        }
    }

    @Test
    void constantImageStaysConstantUnderAnyResize() {
        byte[] data = new byte[10 * 10 * 3];
        java.util.Arrays.fill(data, (byte) 200);
        for (int[] size : new int[][]{{3, 7}, {10, 10}, {23, 17}}) {
            float[] out = new float[size[0] * size[1] * 3];
            CropResize.apply(data, 10, 10, 3, 1, 2, 7, 5, size[0], size[1], true, out);
            for (float v : out) {
                assertEquals(200 / 255.0, v, 1e-6);
            }
        }
    }

    @Test
    void rejectsBoxOutsideImage() {
        byte[] data = new byte[4 * 4 * 3];
        assertThrows(IllegalArgumentException.class,
                () -> CropResize.apply(data, 4, 4, 3, 2, 0, 3, 4, 4, 4, false, new float[48]));
    }

    /** Normalised weights of a triangle of half-width max(1, scale) centred on the output pixel. */
    private static void triangle(double[] w, int in, int out, int o) {
        double scale = (double) in / out, support = Math.max(1, scale), center = (o + 0.5) * scale, sum = 0;
        for (int i = 0; i < in; i++) {
            w[i] = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
            sum += w[i];
        }
        for (int i = 0; i < in; i++) {
            w[i] /= sum;
        }
    }

    private static double px(ImageRecord img, int y, int x, int c) {
        return img.pixel(y, x, c) / 255.0;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
