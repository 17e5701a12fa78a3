package dev.pretext.augment;

import java.io.Serializable;

/**
 * One augmented view: the parameters drawn and the resulting pixels.
 *
 * @param params   what was drawn
 * @param height   output rows
 * @param width    output columns
 * @param channels same as the source image
 * @param pixels   uint8 HWC, row-major, channels interleaved (the images table's {@code raw} encoding)
 */
public record View(AugmentParams params, int height, int width, int channels, byte[] pixels) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Pixel (row y, column x, channel c) as 0..255. */
    public int pixel(int y, int x, int c) {
        return pixels[(y * width + x) * channels + c] & 0xff;
    }
}
