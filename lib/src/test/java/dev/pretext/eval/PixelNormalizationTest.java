package dev.pretext.eval;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PixelNormalizationTest {

    @Test
    void transposesHwcToChwAndNormalisesPerChannel() {
        // 1x2 image: pixel0 = (0, 128, 255), pixel1 = (255, 64, 10)
        byte[] hwc = {0, (byte) 128, (byte) 255, (byte) 255, 64, 10};
        PixelNormalization n = new PixelNormalization(new double[]{0.5, 0.25, 0.0}, new double[]{0.5, 0.25, 2.0});
        float[] out = new float[2 + 6];
        n.toChw(hwc, 1, 2, 3, out, 2);
        double[] expected = {
                (0 / 255.0 - 0.5) / 0.5, (255 / 255.0 - 0.5) / 0.5,       // channel 0, both pixels
                (128 / 255.0 - 0.25) / 0.25, (64 / 255.0 - 0.25) / 0.25,  // channel 1
                (255 / 255.0) / 2.0, (10 / 255.0) / 2.0};                   // channel 2
        assertEquals(0f, out[0]);
        assertEquals(0f, out[1]);
        for (int i = 0; i < 6; i++) assertEquals(expected[i], out[2 + i], 1e-6, "index " + i);
    }

    @Test
    void unitIsPlainScaling() {
        byte[] hwc = {(byte) 200, 1, 2};
        float[] out = new float[3];
        PixelNormalization.unit(3).toChw(hwc, 1, 1, 3, out, 0);
        assertEquals(200 / 255.0, out[0], 1e-7);
        assertEquals(1 / 255.0, out[1], 1e-7);
        assertEquals(2 / 255.0, out[2], 1e-7);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(UserError.class, () -> new PixelNormalization(new double[]{0, 0}, new double[]{1}));
        assertThrows(UserError.class, () -> new PixelNormalization(new double[]{0}, new double[]{0}));
        PixelNormalization n = PixelNormalization.unit(3);
        assertThrows(UserError.class, () -> n.toChw(new byte[5], 1, 2, 3, new float[6], 0));
        assertThrows(UserError.class, () -> n.toChw(new byte[2], 1, 2, 1, new float[2], 0));
    }
}
