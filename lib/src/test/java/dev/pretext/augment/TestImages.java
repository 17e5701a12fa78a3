package dev.pretext.augment;

import dev.pretext.data.ImageRecord;

import java.util.SplittableRandom;

/** Small hand-made images for the augmentation tests. */
final class TestImages {
    private TestImages() {
    }

    /** Random pixels, reproducible from {@code seed}. */
    static ImageRecord random(String id, int height, int width, int channels, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] data = new byte[height * width * channels];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) rng.nextInt(256);
        }
        return record(id, height, width, channels, data);
    }

    /** Smooth colour gradients (a natural-ish image: resampling keeps it smooth). */
    static ImageRecord gradient(String id, int height, int width) {
        byte[] data = new byte[height * width * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                data[o] = (byte) (255 * x / Math.max(1, width - 1));
                data[o + 1] = (byte) (255 * y / Math.max(1, height - 1));
                data[o + 2] = (byte) (128 + 100 * Math.sin(0.4 * x + 0.3 * y));
            }
        }
        return record(id, height, width, 3, data);
    }

    static ImageRecord record(String id, int height, int width, int channels, byte[] data) {
        return new ImageRecord(id, "train", 3, -1, height, width, channels, ImageRecord.RAW, data, "test#" + id);
    }

    /** Planar float [0,1] copy of a raw image, the layout the ops work on. */
    static float[] planar(ImageRecord img) {
        int plane = img.height() * img.width();
        float[] buf = new float[plane * img.channels()];
        for (int c = 0; c < img.channels(); c++) {
            for (int i = 0; i < plane; i++) {
                buf[c * plane + i] = (img.data()[i * img.channels() + c] & 0xff) / 255f;
            }
        }
        return buf;
    }
}
