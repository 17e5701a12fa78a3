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
        String encoding = r.getString(6);
        if (!ImageRecord.RAW.equals(encoding) && !ImageRecord.PNG.equals(encoding) && !ImageRecord.JPEG.equals(encoding)) {
            throw new UserError("images table, record '" + id + "': encoding '" + encoding
                    + "' is not supported by feature extraction; valid: raw (uint8 HWC), png, jpeg");
        }
        if (r.isNullAt(3) || r.isNullAt(4) || r.isNullAt(5) || r.isNullAt(7) || r.isNullAt(2)) {
            throw new UserError("images table, record '" + id + "': label, height, width, channels and data must not be null");
        }
        int h = r.getInt(3), w = r.getInt(4), c = r.getInt(5);
        byte[] data = r.getAs(7);
        if (!ImageRecord.RAW.equals(encoding)) {
            // stored PNG/JPEG (image-folder tables): decoded to 8-bit RGB
            data = new ImageRecord(id, r.getString(1), r.getInt(2), -1, h, w, 3, encoding, data, id).toRaw().data();
            c = 3;
        }
        if (h <= 0 || w <= 0 || c <= 0 || (long) h * w * c != data.length) {
            throw new UserError("images table, record '" + id + "': data has " + data.length
                    + " bytes but height*width*channels = " + h + "*" + w + "*" + c + " = " + ((long) h * w * c));
        }
        return new Image(id, r.getString(1), r.getInt(2), h, w, c, data);
    }
}
