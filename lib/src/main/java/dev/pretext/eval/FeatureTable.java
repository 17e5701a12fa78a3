package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.List;

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

    /** Default bound on one Parquet reader batch of the vector column (bytes): {@code eval.read-batch-mb}. */
    public static final long DEFAULT_READ_BATCH_BYTES = 32L << 20;
    /** Spark's session setting for the rows per vectorized Parquet batch (default 4096). */
    static final String BATCH_SIZE_CONF = "spark.sql.parquet.columnarReaderBatchSize";
    /** Spark's session setting for the rows per batch of a cached Dataset (default 10000). */
    static final String CACHE_BATCH_CONF = "spark.sql.inMemoryColumnarStorage.batchSize";

    private FeatureTable() {
    }

    /**
     * Reads a features table so that no reader batch of its vectors exceeds {@code batchBytes}.
     * Spark's vectorized Parquet reader decodes {@value #BATCH_SIZE_CONF} rows (default 4096) at a
     * time into on-heap column vectors: 4096 x d doubles, 906 MB for STL-10's 27,648-d raw
     * pixels, which failed with "Cannot reserve additional contiguous bytes in the vectorized
     * reader". Here the vector length d is read from the first row (with the row-by-row reader),
     * and when 4096 x 8 d bytes would exceed the budget the table is read through a child session
     * (same SparkContext and cache, own SQL settings) whose batch is {@code batchBytes / (8 d)}
     * rows (at least 1). Everything derived from the returned Dataset runs under that setting,
     * and no other reader of the application is affected. The same child session bounds the
     * batches of Datasets cached from it ({@value #CACHE_BATCH_CONF}, default 10000 rows: 2.2 GB
     * of 27,648-d vectors in one buffer) to the same number of rows.
     */
    public static Dataset<Row> read(SparkSession spark, String dir, long batchBytes) {
        if (batchBytes <= 0) throw new UserError("features table read: batch budget must be > 0 bytes, got " + batchBytes);
        SparkSession rowReader = spark.newSession();
        rowReader.conf().set("spark.sql.parquet.enableVectorizedReader", "false");
        Dataset<Row> probe = rowReader.read().parquet(dir);
        requireSchema(probe, "features table " + dir);
        List<Row> first = probe.select(VECTOR).limit(1).collectAsList();
        if (first.isEmpty()) return spark.read().parquet(dir);
        long dim = ((org.apache.spark.ml.linalg.Vector) first.get(0).get(0)).size();
        long rows = batchRows(batchBytes, dim);
        int current = Integer.parseInt(spark.conf().get(BATCH_SIZE_CONF, "4096"));
        if (rows >= current) return spark.read().parquet(dir);
        SparkSession bounded = spark.newSession();
        bounded.conf().set(BATCH_SIZE_CONF, Long.toString(rows));
        bounded.conf().set(CACHE_BATCH_CONF, Long.toString(rows));
        return bounded.read().parquet(dir);
    }

    /** Rows per reader batch so that a batch of d-dimensional double vectors fits {@code batchBytes}. */
    static long batchRows(long batchBytes, long dim) {
        return Math.max(1, Math.min(Integer.MAX_VALUE, batchBytes / (8 * Math.max(1, dim))));
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
