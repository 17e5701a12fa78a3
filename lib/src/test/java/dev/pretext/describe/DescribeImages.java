package dev.pretext.describe;

import dev.pretext.data.ImageRecord;

import java.util.SplittableRandom;
import java.util.function.IntBinaryOperator;

/** Hand-made images for the descriptor tests. */
final class DescribeImages {
    private DescribeImages() {
    }

    static ImageRecord record(String id, int height, int width, int channels, byte[] hwc) {
        return new ImageRecord(id, "train", 0, -1, height, width, channels, ImageRecord.RAW, hwc, "test#" + id);
    }

    static ImageRecord random(String id, int height, int width, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] d = new byte[height * width * 3];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) rng.nextInt(256);
        }
        return record(id, height, width, 3, d);
    }

    static ImageRecord constant(int height, int width, int r, int g, int b) {
        byte[] d = new byte[height * width * 3];
        for (int i = 0; i < height * width; i++) {
            d[3 * i] = (byte) r;
            d[3 * i + 1] = (byte) g;
            d[3 * i + 2] = (byte) b;
        }
        return record("constant", height, width, 3, d);
    }

    /** The same 0..255 value in all three channels. */
    static ImageRecord grey(String id, int height, int width, IntBinaryOperator valueAtYx) {
        byte[] d = new byte[height * width * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = Math.max(0, Math.min(255, valueAtYx.applyAsInt(y, x)));
                int o = (y * width + x) * 3;
                d[o] = (byte) v;
                d[o + 1] = (byte) v;
                d[o + 2] = (byte) v;
            }
        }
        return record(id, height, width, 3, d);
    }

    /**
     * A periodic texture: a sum of sinusoids whose frequencies (cycles per image, each axis) have
     * magnitudes in [minFreq, maxFreq], colour channels with different phases; shifted circularly
     * by (shiftY, shiftX).
     */
    static ImageRecord texture(String id, int size, int minFreq, int maxFreq, int shiftY, int shiftX, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int waves = 6;
        int[] fy = new int[waves];
        int[] fx = new int[waves];
        double[] phase = new double[waves * 3];
        for (int k = 0; k < waves; k++) {
            fy[k] = rng.nextInt(minFreq, maxFreq + 1) * (rng.nextBoolean() ? 1 : -1);
            fx[k] = rng.nextInt(minFreq, maxFreq + 1) * (rng.nextBoolean() ? 1 : -1);
            for (int c = 0; c < 3; c++) {
                phase[k * 3 + c] = rng.nextDouble() * 2 * Math.PI;
            }
        }
        byte[] d = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                for (int c = 0; c < 3; c++) {
                    double v = 0;
                    for (int k = 0; k < waves; k++) {
                        v += Math.cos(2 * Math.PI * (fy[k] * (y - shiftY) + fx[k] * (x - shiftX)) / size + phase[k * 3 + c]);
                    }
                    d[(y * size + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) Math.round(128 + 20 * v)));
                }
            }
        }
        return record(id, size, size, 3, d);
    }

    static double l2(float[] a) {
        double s = 0;
        for (float v : a) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    static double l2Distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }
}
