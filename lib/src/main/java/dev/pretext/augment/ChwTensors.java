package dev.pretext.augment;

import java.util.Arrays;

/**
 * uint8 HWC pixels to the float CHW layout a convolutional network takes, written into a caller's
 * array at an offset so that a NCHW minibatch is filled in place (image i at {@code i*c*h*w}).
 */
public final class ChwTensors {
    private static final float[] CIFAR10_MEAN = {0.4914f, 0.4822f, 0.4465f};
    private static final float[] CIFAR10_STD = {0.2470f, 0.2435f, 0.2616f};

    private ChwTensors() {
    }

    /** Per-channel mean of x/255 over CIFAR-10's training set (a copy). */
    public static float[] cifar10Mean() {
        return CIFAR10_MEAN.clone();
    }

    /** Per-channel standard deviation of x/255 over CIFAR-10's training set (a copy). */
    public static float[] cifar10Std() {
        return CIFAR10_STD.clone();
    }

    /**
     * Writes {@code (x/255 - mean[c]) / std[c]} in CHW order into {@code dst[offset ..
     * offset + c*h*w)}.
     */
    public static void normalized(byte[] hwc, int height, int width, int channels,
                                  float[] mean, float[] std, float[] dst, int offset) {
        checkShape(hwc, height, width, channels, dst, offset);
        if (mean == null || std == null || mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("mean and std need one value per channel (" + channels + "), got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            if (!(std[c] > 0)) {
                throw new IllegalArgumentException("std must be > 0, got std[" + c + "]=" + std[c]);
            }
            float m = mean[c];
            float inv = 1f / std[c];
            int o = offset + c * plane;
            for (int i = 0, in = c; i < plane; i++, in += channels) {
                dst[o + i] = ((hwc[in] & 0xff) / 255f - m) * inv;
            }
        }
    }

    /** {@link #normalized} with CIFAR-10's mean and std (3 channels). */
    public static void normalizedCifar10(byte[] hwc, int height, int width, float[] dst, int offset) {
        normalized(hwc, height, width, 3, CIFAR10_MEAN, CIFAR10_STD, dst, offset);
    }

    /** {@link #normalized} of a view. */
    public static void normalized(View view, float[] mean, float[] std, float[] dst, int offset) {
        normalized(view.pixels(), view.height(), view.width(), view.channels(), mean, std, dst, offset);
    }

    /** x/255 in [0, 1], CHW, without centring. */
    public static void unit(byte[] hwc, int height, int width, int channels, float[] dst, int offset) {
        checkShape(hwc, height, width, channels, dst, offset);
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            int o = offset + c * plane;
            for (int i = 0, in = c; i < plane; i++, in += channels) {
                dst[o + i] = (hwc[in] & 0xff) / 255f;
            }
        }
    }

    private static void checkShape(byte[] hwc, int height, int width, int channels, float[] dst, int offset) {
        if (height < 1 || width < 1 || channels < 1) {
            throw new IllegalArgumentException("shape must be positive, got h=" + height + " w=" + width + " c=" + channels);
        }
        long n = (long) height * width * channels;
        if (hwc == null || hwc.length != n) {
            throw new IllegalArgumentException("pixels have " + (hwc == null ? "no" : hwc.length)
                    + " bytes; expected h*w*c = " + n);
        }
        if (dst == null || offset < 0 || offset + n > dst.length) {
            throw new IllegalArgumentException("destination of length " + (dst == null ? 0 : dst.length)
                    + " cannot hold " + n + " values at offset " + offset);
        }
    }
}
