package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;

/**
 * Reads the columns of the images table that feature extraction needs, and checks each row is a
 * well-formed {@code raw} image, so that the feature jobs fail with the id of the bad record
 * rather than deep inside ND4J.
 */
final class RawImages {
    static final String[] COLUMNS = {"id", "split", "label", "height", "width", "channels", "encoding", "data"};

    private RawImages() {
    }

    /** One decoded row: only what features need. */
    record Image(String id, String split, int label, int height, int width, int channels, byte[] data)
            implements Serializable {
        boolean sameShape(Image o) {
            return height == o.height && width == o.width && channels == o.channels;
        }
    }

    /** The images table reduced to {@link #COLUMNS}, in that order, after a schema check. */
    static Dataset<Row> select(Dataset<Row> images) {
        StructType s = images.schema();
        String what = "images table";
        FeatureTable.requireColumn(s, "id", DataTypes.StringType, what);
        FeatureTable.requireColumn(s, "split", DataTypes.StringType, what);
        FeatureTable.requireColumn(s, "label", DataTypes.IntegerType, what);
        FeatureTable.requireColumn(s, "height", DataTypes.IntegerType, what);
        FeatureTable.requireColumn(s, "width", DataTypes.IntegerType, what);
        FeatureTable.requireColumn(s, "channels", DataTypes.IntegerType, what);
        FeatureTable.requireColumn(s, "encoding", DataTypes.StringType, what);
        FeatureTable.requireColumn(s, "data", DataTypes.BinaryType, what);
        return images.selectExpr(COLUMNS);
    }

    /** Decodes a row of {@link #select}; fails naming the record when it is not a valid raw image. */
    static Image read(Row r) {
        String id = r.getString(0);
        if (r.isNullAt(2)) {
            throw new UserError("images table, record '" + id + "': label, height, width, channels and data must not be null");
        }
        Pixels p = decode(id, r.getString(6), r.isNullAt(3) ? null : r.getInt(3),
                r.isNullAt(4) ? null : r.getInt(4), r.isNullAt(5) ? null : r.getInt(5), r.isNullAt(7) ? null : r.getAs(7));
        return new Image(id, r.getString(1), r.getInt(2), p.height(), p.width(), p.channels(), p.data());
    }

    /** One image's uint8 HWC pixels, as the encoder takes them. */
    record Pixels(int height, int width, int channels, byte[] data) {
        boolean sameShape(Pixels o) {
            return height == o.height && width == o.width && channels == o.channels;
        }
    }

    /**
     * The images table's pixel columns of one row as uint8 HWC: {@code raw} data as it is, a stored
     * {@code png}/{@code jpeg} decoded to 8-bit RGB (image-folder tables); the one decoding rule of
     * every encoder input (the features stage and {@link EncoderTransformer}).
     *
     * @param id       the record's id, for messages ({@code images table, record 'ID': ...})
     * @param encoding {@code raw}, {@code png} or {@code jpeg}; null is taken as {@code raw}
     * @throws UserError naming {@code what} for an unknown encoding, a null field or a size mismatch
     */
    static Pixels decode(String id, String encoding, Integer height, Integer width, Integer channels, byte[] data) {
        String what = "images table, record '" + id + "'";
        String enc = encoding == null ? ImageRecord.RAW : encoding;
        if (!ImageRecord.RAW.equals(enc) && !ImageRecord.PNG.equals(enc) && !ImageRecord.JPEG.equals(enc)) {
            throw new UserError(what + ": encoding '" + enc
                    + "' is not supported by feature extraction; valid: raw (uint8 HWC), png, jpeg");
        }
        if (height == null || width == null || channels == null || data == null) {
            throw new UserError(what + ": label, height, width, channels and data must not be null");
        }
        int h = height, w = width, c = channels;
        byte[] pixels = data;
        if (!ImageRecord.RAW.equals(enc)) {
            // stored PNG/JPEG (image-folder tables): decoded to 8-bit RGB
            pixels = new ImageRecord(id, "", 0, -1, h, w, 3, enc, data, id).toRaw().data();
            c = 3;
        }
        if (h <= 0 || w <= 0 || c <= 0 || (long) h * w * c != pixels.length) {
            throw new UserError(what + ": data has " + pixels.length
                    + " bytes but height*width*channels = " + h + "*" + w + "*" + c + " = " + ((long) h * w * c));
        }
        return new Pixels(h, w, c, pixels);
    }
}
