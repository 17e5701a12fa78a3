package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

/**
 * The one place where descriptors read pixels: validates a row and returns its three colour
 * planes, so every descriptor rejects a bad row with the same message and treats grey (1-channel)
 * rows as grey RGB.
 */
final class RgbPlanes {
    static final int CHANNELS = 3;

    private RgbPlanes() {
    }

    /** The image decoded to raw 3-channel pixels (1-channel rows expanded), validated. */
    static ImageRecord rgb(ImageRecord image, String descriptor) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        ImageRecord raw = image.toRaw();
        String at = "descriptor '" + descriptor + "', image '" + raw.id() + "'";
        if (raw.height() < 1 || raw.width() < 1) {
            throw new UserError(at + ": size " + raw.width() + "x" + raw.height() + "; expected at least 1x1");
        }
        if (raw.channels() != 1 && raw.channels() != CHANNELS) {
            throw new UserError(at + ": " + raw.channels() + " channels; expected 1 or 3");
        }
        long expected = (long) raw.height() * raw.width() * raw.channels();
        if (raw.data() == null || raw.data().length != expected) {
            throw new UserError(at + ": data has " + (raw.data() == null ? "no" : raw.data().length)
                    + " bytes; expected height*width*channels = " + expected);
        }
        if (raw.channels() == CHANNELS) {
            return raw;
        }
        byte[] grey = raw.data();
        byte[] rgb = new byte[grey.length * CHANNELS];
        for (int i = 0; i < grey.length; i++) {
            rgb[3 * i] = grey[i];
            rgb[3 * i + 1] = grey[i];
            rgb[3 * i + 2] = grey[i];
        }
        return new ImageRecord(raw.id(), raw.split(), raw.label(), raw.label2(), raw.height(), raw.width(),
                CHANNELS, ImageRecord.RAW, rgb, raw.source());
    }

    /** Channel-major (CHW) planes of 0..255 values. */
    static int[] planes(ImageRecord image, String descriptor) {
        ImageRecord rgb = rgb(image, descriptor);
        byte[] hwc = rgb.data();
        int plane = rgb.height() * rgb.width();
        int[] chw = new int[CHANNELS * plane];
        for (int c = 0; c < CHANNELS; c++) {
            for (int i = 0; i < plane; i++) {
                chw[c * plane + i] = hwc[i * CHANNELS + c] & 0xff;
            }
        }
        return chw;
    }

    /** @param imageId the row at fault, or null when only a size was asked about */
    /** C x H x W: the length of a per-pixel descriptor of an image of that size (at least 1 x 1). */
    static int pixelCount(String descriptor, int height, int width) {
        if (height < 1 || width < 1) {
            throw tooSmall(descriptor, null, height, width, "needs at least 1x1");
        }
        return CHANNELS * height * width;
    }

    static UserError tooSmall(String descriptor, String imageId, int height, int width, String need) {
        return new UserError("descriptor '" + descriptor + "'" + (imageId == null ? "" : ", image '" + imageId + "'")
                + ": image size " + width + "x" + height + " is too small; " + need);
    }
}
