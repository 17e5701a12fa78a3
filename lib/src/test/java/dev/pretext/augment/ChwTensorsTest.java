package dev.pretext.augment;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChwTensorsTest {

    /** 1x2 image, pixels (0, 128, 255) and (255, 0, 10). */
    private final byte[] hwc = {0, (byte) 128, (byte) 255, (byte) 255, 0, 10};

    @Test
    void normalisesWithCifarStatsIntoChwAtOffset() {
        float[] dst = new float[3 + 6];
        ChwTensors.normalizedCifar10(hwc, 1, 2, dst, 3);
        assertEquals(0f, dst[0]);
        assertEquals((0 / 255.0 - 0.4914) / 0.2470, dst[3], 1e-5);
        assertEquals((255 / 255.0 - 0.4914) / 0.2470, dst[4], 1e-5);
        assertEquals((128 / 255.0 - 0.4822) / 0.2435, dst[5], 1e-5);
        assertEquals((0 / 255.0 - 0.4822) / 0.2435, dst[6], 1e-5);
        assertEquals((255 / 255.0 - 0.4465) / 0.2616, dst[7], 1e-5);
        assertEquals((10 / 255.0 - 0.4465) / 0.2616, dst[8], 1e-5);
        assertEquals(-1.98947, dst[3], 1e-4);
        assertEquals(2.05911, dst[4], 1e-4);
    }

    @Test
    void unitIsPlainScaledChw() {
        float[] dst = new float[6];
        ChwTensors.unit(hwc, 1, 2, 3, dst, 0);
        float[] want = {0f, 1f, 128 / 255f, 0f, 1f, 10 / 255f};
        for (int i = 0; i < 6; i++) {
            assertEquals(want[i], dst[i], 1e-7);
        }
    }

    @Test
    void fillsABatchWithoutOverlap() {
        float[] batch = new float[2 * 6];
        ChwTensors.unit(hwc, 1, 2, 3, batch, 0);
        ChwTensors.normalized(hwc, 1, 2, 3, new float[]{0.5f, 0.5f, 0.5f}, new float[]{0.5f, 0.5f, 0.5f}, batch, 6);
        assertEquals(1f, batch[1]);
        assertEquals(-1f, batch[6], 1e-6);
        assertEquals(1f, batch[7], 1e-6);
    }

    @Test
    void statsAreCopies() {
        ChwTensors.cifar10Mean()[0] = 99f;
        assertEquals(0.4914f, ChwTensors.cifar10Mean()[0]);
        assertEquals(0.2616f, ChwTensors.cifar10Std()[2]);
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> ChwTensors.unit(hwc, 2, 2, 3, new float[12], 0));
        assertThrows(IllegalArgumentException.class, () -> ChwTensors.unit(hwc, 1, 2, 3, new float[8], 3));
        assertThrows(IllegalArgumentException.class,
                () -> ChwTensors.normalized(hwc, 1, 2, 3, new float[2], new float[3], new float[6], 0));
        assertThrows(IllegalArgumentException.class,
                () -> ChwTensors.normalized(hwc, 1, 2, 3, new float[3], new float[3], new float[6], 0));
    }
}
