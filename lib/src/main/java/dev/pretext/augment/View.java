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

    /**
     * This view turned {@code quarterTurns} x 90 degrees counter-clockwise (any integer, modulo 4), an
     * exact permutation of the pixels: one quarter turn moves pixel (row r, column c) of an h x w view
     * to (w - 1 - c, r) of the w x h result, as numpy's {@code rot90(x, 1)} (and the rotation pretext
     * task's reference code, {@code flipud(transpose(x))}). {@code params} are kept: they describe the
     * draw, before the turn. 0 turns return this view itself.
     */
    public View rotated(int quarterTurns) {
        int q = Math.floorMod(quarterTurns, 4);
        if (q == 0) {
            return this;
        }
        int h = q == 2 ? height : width;
        int w = q == 2 ? width : height;
        byte[] out = new byte[pixels.length];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                int nr;
                int nc;
                switch (q) {
                    case 1 -> {
                        nr = width - 1 - c;
                        nc = r;
                    }
                    case 2 -> {
                        nr = height - 1 - r;
                        nc = width - 1 - c;
                    }
                    default -> {
                        nr = c;
                        nc = height - 1 - r;
                    }
                }
                System.arraycopy(pixels, (r * width + c) * channels, out, (nr * w + nc) * channels, channels);
            }
        }
        return new View(params, h, w, channels, out);
    }

    /** Pixel (row y, column x, channel c) as 0..255. */
    public int pixel(int y, int x, int c) {
        return pixels[(y * width + x) * channels + c] & 0xff;
    }
}
