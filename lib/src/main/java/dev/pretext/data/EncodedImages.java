package dev.pretext.data;

import dev.pretext.UserError;

/**
 * Decoding of the PNG and JPEG images stored in an images table. Ingest has already converted every
 * input to 8-bit RGB of the recorded size, so this only reads the file back (with the same JDK
 * readers ingest uses, see {@link ImageDecoder}) and checks it against its row.
 */
final class EncodedImages {
    private static final ImageDecoder DECODER = new ImageDecoder(Long.MAX_VALUE);

    private EncodedImages() {
    }

    /** The pixels of a stored PNG/JPEG as uint8 HWC RGB; fails naming the record when they disagree with its row. */
    static byte[] decodeRgb(byte[] data, int height, int width, String id) {
        ImageDecoder.Result r = DECODER.decode(data, id);
        if (!r.isOk()) {
            throw new UserError("images table, record '" + id + "': cannot decode its image data: " + r.reason());
        }
        DecodedImage img = r.image();
        if (img.height() != height || img.width() != width) {
            throw new UserError("images table, record '" + id + "': data is " + img.width() + "x" + img.height()
                    + " but the row says " + width + "x" + height);
        }
        return img.rgb();
    }
}
