package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.Manifest;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

/**
 * Reads the descriptors table ({@link DescriptorRows} plus a {@link Manifest} of stage
 * {@code describe}). The manifest's extra holds:
 * <pre>
 *   height, width   the one image size of the table
 *   columns         {column: {dimension: D, parameters: {...}}} in column order
 * </pre>
 * Reads refuse a directory without a manifest, a table of another stage and a schema version this
 * code does not know.
 */
public final class DescriptorsTable {
    public static final String STAGE = "describe";
    public static final String EXTRA_HEIGHT = "height";
    public static final String EXTRA_WIDTH = "width";
    public static final String EXTRA_COLUMNS = "columns";
    public static final String DIMENSION = "dimension";
    public static final String PARAMETERS = "parameters";
    /** {@link dev.pretext.data.ImagesTable#fingerprint} of the images table the descriptors were made from. */
    public static final String EXTRA_IMAGES_FINGERPRINT = "images_fingerprint";

    private DescriptorsTable() {
    }

    /** All rows of a committed descriptors table. */
    public static Dataset<Row> read(SparkSession spark, String dir) {
        return read(spark, dir, null);
    }

    /** Rows of one split, or all when split is null. */
    public static Dataset<Row> read(SparkSession spark, String dir, String split) {
        Manifest m = manifest(spark, dir);
        Dataset<Row> df = spark.read().schema(DescriptorRows.schema(columns(m))).parquet(dir);
        if (split != null) {
            if (!m.counts().containsKey(split)) {
                throw new UserError("table " + dir + " has no split '" + split + "'; it has " + m.counts().keySet());
            }
            df = df.where(col("split").equalTo(split));
        }
        return df;
    }

    /** The manifest of a committed descriptors table; fails for other tables and unknown schema versions. */
    public static Manifest manifest(SparkSession spark, String dir) {
        Manifest m = Manifest.read(spark.sparkContext().hadoopConfiguration(), dir);
        if (!STAGE.equals(m.stage())) {
            throw new UserError("table " + dir + " was written by stage '" + m.stage() + "', not '" + STAGE
                    + "': give the path of a descriptors table (pretext describe ...)");
        }
        if (m.schemaVersion() != DescriptorRows.SCHEMA_VERSION) {
            throw new UserError("table " + dir + " has descriptors schema version " + m.schemaVersion()
                    + "; this code reads version " + DescriptorRows.SCHEMA_VERSION
                    + " (re-run the describe stage with this version)");
        }
        return m;
    }

    /** The representation columns, in table order. */
    public static List<String> columns(Manifest m) {
        return new ArrayList<>(columnMap(m).keySet());
    }

    /** The vector length of one column. */
    public static int dimension(Manifest m, String column) {
        return ((Number) column(m, column).get(DIMENSION)).intValue();
    }

    /** The parameters of one column, as written by its descriptor or teacher. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parameters(Manifest m, String column) {
        return (Map<String, Object>) column(m, column).get(PARAMETERS);
    }

    /** The fingerprint of the images the table was made from, or null (tables written before it was recorded). */
    public static String imagesFingerprint(Manifest m) {
        Object v = m.extra().get(EXTRA_IMAGES_FINGERPRINT);
        return v == null ? null : v.toString();
    }

    /** The table's image height (every image has it). */
    public static int height(Manifest m) {
        return ((Number) m.extra().get(EXTRA_HEIGHT)).intValue();
    }

    /** The table's image width. */
    public static int width(Manifest m) {
        return ((Number) m.extra().get(EXTRA_WIDTH)).intValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> column(Manifest m, String column) {
        Map<String, Object> c = (Map<String, Object>) columnMap(m).get(column);
        if (c == null) {
            throw new UserError("descriptors table has no column '" + column + "'; it has " + columns(m));
        }
        return c;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> columnMap(Manifest m) {
        Object v = m.extra().get(EXTRA_COLUMNS);
        if (!(v instanceof Map)) {
            throw new UserError("descriptors table manifest has no '" + EXTRA_COLUMNS + "' entry: not written by "
                    + "pretext describe");
        }
        return (Map<String, Object>) v;
    }
}
