package dev.pretext.describe;

import dev.pretext.UserError;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The descriptors table schema (version {@link #SCHEMA_VERSION}): one row per image, one
 * {@code array<float>} column per representation, so that MV-MR reads every f_k(x) of an image
 * (and a distilled teacher's embedding) from the same row as its id.
 *
 * <pre>
 *   id        string        image id, as in the images table
 *   split     string
 *   label     int           -1 when unlabeled
 *   height    int           size of the image the vectors were computed from (one size per table)
 *   width     int
 *   &lt;column&gt;  array&lt;float&gt;  one per representation, in the order asked for: a descriptor's
 *                           registry name ({@code hog}, {@code lsd}, {@code scattering}, {@code image},
 *                           {@code augmented}) or {@code teacher_<name>}; fixed length per column
 * </pre>
 * The manifest's extra gives each column's dimension and parameters ({@link DescriptorsTable}).
 */
public final class DescriptorRows {
    public static final int SCHEMA_VERSION = 1;
    /** The columns every descriptors table starts with. */
    public static final List<String> KEY_COLUMNS = List.of("id", "split", "label", "height", "width");
    public static final String TEACHER_PREFIX = "teacher_";

    private static final DataType VECTOR = DataTypes.createArrayType(DataTypes.FloatType, false);

    private DescriptorRows() {
    }

    /** The schema for these representation columns, in order; names must be distinct and not key columns. */
    public static StructType schema(List<String> columns) {
        if (columns == null || columns.isEmpty()) {
            throw new UserError("a descriptors table needs at least one descriptor or teacher column");
        }
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("id", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("split", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField("height", DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField("width", DataTypes.IntegerType, false));
        Set<String> seen = new HashSet<>(KEY_COLUMNS);
        for (String c : columns) {
            // Parquet column names are case-insensitive in Spark's default resolution
            if (!seen.add(c.toLowerCase(Locale.ROOT))) {
                throw new UserError("descriptors table column '" + c + "' is given twice (or clashes with "
                        + KEY_COLUMNS + "); give teachers distinct names with MODEL=name");
            }
            fields.add(DataTypes.createStructField(c, VECTOR, false));
        }
        return DataTypes.createStructType(fields);
    }

    /**
     * A row in {@link #schema} order. Primitive float arrays are accepted by Spark's row encoder for
     * {@code array<float>} without boxing every value.
     */
    public static Row toRow(String id, String split, int label, int height, int width, float[][] vectors) {
        Object[] values = new Object[KEY_COLUMNS.size() + vectors.length];
        values[0] = id;
        values[1] = split;
        values[2] = label;
        values[3] = height;
        values[4] = width;
        System.arraycopy(vectors, 0, values, KEY_COLUMNS.size(), vectors.length);
        return org.apache.spark.sql.RowFactory.create(values);
    }

    /** The vector of {@code column} in a row read from a descriptors table. */
    public static float[] vector(Row row, String column) {
        int i;
        try {
            i = row.fieldIndex(column);
        } catch (IllegalArgumentException e) {
            throw new UserError("descriptors table has no column '" + column + "'; it has " + List.of(row.schema().fieldNames()), e);
        }
        List<Object> values = row.getList(i);
        float[] out = new float[values.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) values.get(k)).floatValue();
        }
        return out;
    }

    /**
     * A teacher column's name: {@code teacher_} plus the name lower-cased, runs of characters other
     * than {@code a-z 0-9 _} replaced by one {@code _}, trimmed of leading and trailing {@code _}.
     */
    public static String teacherColumn(String name) {
        String s = name == null ? "" : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_")
                .replaceAll("^_+|_+$", "");
        if (s.isEmpty()) {
            throw new UserError("teacher name '" + name + "' has no letters or digits; name it with MODEL=name");
        }
        return TEACHER_PREFIX + s;
    }
}
