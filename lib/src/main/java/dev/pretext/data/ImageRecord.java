package dev.pretext.data;

import java.io.Serializable;

/**
 * One row of the images table (see README "Tables").
 *
 * @param id       stable id, e.g. {@code cifar10/train/000042}
 * @param split    {@code train}, {@code test}, {@code unlabeled}, ...
 * @param label    class index, -1 when unlabeled
 * @param label2   secondary label (CIFAR-100 coarse label), -1 when absent
 * @param height   pixel rows
 * @param width    pixel columns
 * @param channels 3 (RGB)
 * @param encoding {@code raw}: uint8 HWC, row-major, RGB interleaved; {@code png} or {@code jpeg}: an encoded
 *                 8-bit RGB file (large images), see {@link #toRaw()}
 * @param data     the pixels in that encoding
 * @param source   lineage: file name and record index, e.g. {@code data_batch_1.bin#42}
 */
public record ImageRecord(String id, String split, int label, int label2, int height, int width,
                          int channels, String encoding, byte[] data, String source) implements Serializable {

    public static final String RAW = "raw";
    public static final String PNG = "png";
    public static final String JPEG = "jpeg";

    /** This image with {@code raw} pixels: itself when already raw, else its PNG or JPEG data decoded. */
    public ImageRecord toRaw() {
        if (RAW.equals(encoding)) {
            return this;
        }
        if (!PNG.equals(encoding) && !JPEG.equals(encoding)) {
            throw new dev.pretext.UserError("images table, record '" + id + "': unknown encoding '" + encoding
                    + "'; valid: raw, png, jpeg");
        }
        byte[] rgb = EncodedImages.decodeRgb(data, height, width, id);
        return new ImageRecord(id, split, label, label2, height, width, 3, RAW, rgb, source);
    }

    /** Pixel (row y, column x, channel c) of a raw HWC image, as 0..255. */
    public int pixel(int y, int x, int c) {
        return data[(y * width + x) * channels + c] & 0xff;
    }
}
