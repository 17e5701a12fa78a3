package dev.pretext.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Decoded pixels of one image: uint8, HWC row-major, RGB interleaved, the same layout as an
 * {@link ImageRecord} with encoding {@code raw}.
 *
 * @param height pixel rows, at least 1
 * @param width  pixel columns, at least 1
 * @param rgb    {@code height * width * 3} bytes
 */
public record DecodedImage(int height, int width, byte[] rgb) implements Serializable {

    public DecodedImage {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("image size must be at least 1x1, got " + width + "x" + height);
        }
        if (rgb == null || (long) rgb.length != (long) height * width * 3) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + ((long) height * width * 3) + " bytes, got " + (rgb == null ? "null" : rgb.length));
        }
    }

    /** Channel c (0 R, 1 G, 2 B) of the pixel at row y, column x, as 0..255. */
    public int pixel(int y, int x, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    // A record's default equals compares the array by identity; images are equal when their pixels are.
    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedImage d && d.height == height && d.width == width && Arrays.equals(d.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "DecodedImage[" + width + "x" + height + "]";
    }
}
