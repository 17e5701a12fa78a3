package dev.pretext.data;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The images table schema (version {@link #SCHEMA_VERSION}) and conversion between its rows and {@link ImageRecord}. */
public final class ImageRows {
    public static final int SCHEMA_VERSION = 1;

    public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.StringType, false),
        DataTypes.createStructField("split", DataTypes.StringType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("label2", DataTypes.IntegerType, false),
        DataTypes.createStructField("height", DataTypes.IntegerType, false),
        DataTypes.createStructField("width", DataTypes.IntegerType, false),
        DataTypes.createStructField("channels", DataTypes.IntegerType, false),
        DataTypes.createStructField("encoding", DataTypes.StringType, false),
        DataTypes.createStructField("data", DataTypes.BinaryType, false),
        DataTypes.createStructField("source", DataTypes.StringType, false),
    });

    private ImageRows() {
    }

    /** A row in {@link #SCHEMA} column order. */
    public static Row toRow(ImageRecord r) {
        return RowFactory.create(r.id(), r.split(), r.label(), r.label2(), r.height(), r.width(), r.channels(),
                r.encoding(), r.data(), r.source());
    }

    /**
     * The record of a row: by column name when the row carries a schema (rows read from a table,
     * whatever their column order), else by {@link #SCHEMA} position.
     */
    public static ImageRecord fromRow(Row row) {
        if (row.schema() != null) {
            return new ImageRecord(row.getAs("id"), row.getAs("split"), row.<Integer>getAs("label"),
                    row.<Integer>getAs("label2"), row.<Integer>getAs("height"), row.<Integer>getAs("width"),
                    row.<Integer>getAs("channels"), row.getAs("encoding"), row.getAs("data"), row.getAs("source"));
        }
        return new ImageRecord(row.getString(0), row.getString(1), row.getInt(2), row.getInt(3), row.getInt(4),
                row.getInt(5), row.getInt(6), row.getString(7), (byte[]) row.get(8), row.getString(9));
    }
}
