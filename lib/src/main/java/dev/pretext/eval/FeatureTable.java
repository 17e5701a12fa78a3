package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/** Schema of the features table: {@code id, split, label, layer, vector} (dense ML vectors). */
public final class FeatureTable {
    public static final String ID = "id";
    public static final String SPLIT = "split";
    public static final String LABEL = "label";
    public static final String LAYER = "layer";
    public static final String VECTOR = "vector";

    /** Layer name of the raw-pixel baseline. */
    public static final String PIXELS_LAYER = "pixels";

    public static final StructType SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(ID, DataTypes.StringType, false),
            DataTypes.createStructField(SPLIT, DataTypes.StringType, false),
            DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField(LAYER, DataTypes.StringType, false),
            DataTypes.createStructField(VECTOR, SQLDataTypes.VectorType(), false),
    });

    private FeatureTable() {
    }

    /** Fails with a message naming the missing or mistyped columns if {@code features} is not a features table. */
    public static void requireSchema(Dataset<Row> features, String what) {
        StructType s = features.schema();
        for (StructField f : SCHEMA.fields()) {
            requireColumn(s, f.name(), f.dataType(), what);
        }
    }

    static void requireColumn(StructType schema, String name, DataType type, String what) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new UserError(what + ": missing column '" + name + "' (" + type.simpleString()
                    + "); columns present: " + Arrays.toString(schema.fieldNames()));
        }
        DataType actual = schema.apply(name).dataType();
        if (!actual.equals(type)) {
            throw new UserError(what + ": column '" + name + "' has type " + actual.simpleString()
                    + ", expected " + type.simpleString());
        }
    }
}
