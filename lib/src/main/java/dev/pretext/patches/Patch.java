package dev.pretext.patches;

import java.io.Serializable;

/**
 * One square patch cut from an image.
 *
 * @param row      grid row, 0 at the top
 * @param col      grid column, 0 at the left
 * @param y0       top pixel row of the patch in the image it was cut from
 * @param x0       left pixel column
 * @param size     side in pixels (every patch of one grid has the same size)
 * @param channels channels per pixel, as in the source image
 * @param data     uint8 HWC, row-major, channels interleaved: size * size * channels bytes
 */
public record Patch(int row, int col, int y0, int x0, int size, int channels, byte[] data) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Pixel (row y, column x, channel c) of the patch, as 0..255. */
    public int pixel(int y, int x, int c) {
        return data[(y * size + x) * channels + c] & 0xff;
    }
}
