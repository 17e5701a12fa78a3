package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.augment.ChwTensors;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-channel normalisation of uint8 HWC pixels into the float NCHW layout a DL4J convolutional
 * network takes: {@code (x / 255 - mean[c]) / std[c]}.
 *
 * <p>Kept inside {@code eval} on purpose: the encoder must see at evaluation time exactly the
 * input transform it was trained with, and this class is the single statement of it here.
 */
public final class PixelNormalization implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] mean;
    private final float[] std;

    /**
     * @param mean per-channel mean of x/255 (length = channels)
     * @param std  per-channel standard deviation of x/255, all &gt; 0
     */
    public PixelNormalization(double[] mean, double[] std) {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new UserError("normalisation: mean and std must be non-empty and of equal length (one per channel), got mean="
                    + Arrays.toString(mean) + " std=" + Arrays.toString(std));
        }
        this.mean = new float[mean.length];
        this.std = new float[std.length];
        for (int c = 0; c < mean.length; c++) {
            if (!(std[c] > 0) || !Double.isFinite(std[c]) || !Double.isFinite(mean[c])) {
                throw new UserError("normalisation: std must be finite and > 0 and mean finite, got mean[" + c + "]="
                        + mean[c] + " std[" + c + "]=" + std[c]);
            }
            this.mean[c] = (float) mean[c];
            this.std[c] = (float) std[c];
        }
    }

    /** From the config's float lists ({@code data.mean}, {@code data.std}). */
    public static PixelNormalization of(float[] mean, float[] std) {
        double[] m = new double[mean.length];
        double[] s = new double[std.length];
        for (int i = 0; i < m.length; i++) m[i] = mean[i];
        for (int i = 0; i < s.length; i++) s[i] = std[i];
        return new PixelNormalization(m, s);
    }

    /** x/255 with no centring: mean 0, std 1 for each of {@code channels}. */
    public static PixelNormalization unit(int channels) {
        double[] m = new double[channels];
        double[] s = new double[channels];
        Arrays.fill(s, 1.0);
        return new PixelNormalization(m, s);
    }

    public int channels() {
        return mean.length;
    }

    public double[] mean() {
        double[] out = new double[mean.length];
        for (int c = 0; c < out.length; c++) out[c] = mean[c];
        return out;
    }

    public double[] std() {
        double[] out = new double[std.length];
        for (int c = 0; c < out.length; c++) out[c] = std[c];
        return out;
    }

    /**
     * Writes one image, normalised and transposed to CHW, into {@code dst} starting at
     * {@code offset} (so a batch is several calls at offsets {@code i * c*h*w}).
     *
     * @param hwc uint8 pixels, row-major, channels interleaved, length {@code h*w*c}
     */
    public void toChw(byte[] hwc, int height, int width, int channels, float[] dst, int offset) {
        if (channels != mean.length) {
            throw new UserError("normalisation has " + mean.length + " channels but the image has " + channels);
        }
        int plane = height * width;
        if (hwc.length != plane * channels) {
            throw new UserError("image data has " + hwc.length + " bytes, expected height*width*channels = "
                    + height + "*" + width + "*" + channels + " = " + plane * channels);
        }
        // The same transform the trainer applies to its views, so features see what training saw.
        ChwTensors.normalized(hwc, height, width, channels, mean, std, dst, offset);
    }
}
