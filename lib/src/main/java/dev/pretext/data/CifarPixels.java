package dev.pretext.data;

/**
 * CIFAR stores an image as three 32x32 planes (all R, then all G, then all B, each row-major);
 * the images table stores HWC with channels interleaved.
 */
final class CifarPixels {
    static final int SIDE = 32;
    static final int PLANE = SIDE * SIDE;
    static final int BYTES = 3 * PLANE;

    private CifarPixels() {
    }

    /** Planar bytes at {@code record[offset..offset+3072)} to a new HWC array. */
    static byte[] planarToHwc(byte[] record, int offset) {
        byte[] hwc = new byte[BYTES];
        for (int p = 0; p < PLANE; p++) {
            hwc[3 * p] = record[offset + p];
            hwc[3 * p + 1] = record[offset + PLANE + p];
            hwc[3 * p + 2] = record[offset + 2 * PLANE + p];
        }
        return hwc;
    }
}
