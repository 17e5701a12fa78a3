package dev.pretext.patches;

import dev.pretext.data.ImageRecord;

import java.util.SplittableRandom;

/** Small images for the patch tests. */
final class PatchTestImages {
    private PatchTestImages() {
    }

    /** Random raw pixels, reproducible from {@code seed}. */
    static ImageRecord random(String id, String split, int label, int height, int width, int channels, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] data = new byte[height * width * channels];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) rng.nextInt(256);
        }
        return new ImageRecord(id, split, label, -1, height, width, channels, ImageRecord.RAW, data, "test#" + id);
    }
}
