package dev.pretext.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import dev.pretext.UserError;

/**
 * Reads and writes the images table: Parquet files in {@link ImageRows#SCHEMA} plus a
 * {@link Manifest}. Reads refuse a directory without a manifest (not a committed table) and a
 * schema version this code does not know.
 */
public final class ImagesTable {

    private ImagesTable() {
    }

    /** All rows of a committed images table. */
    public static Dataset<Row> read(SparkSession spark, String dir) {
        return read(spark, dir, null);
    }

    /** Rows of one split ({@code train}, {@code test}, {@code unlabeled}), or all when split is null. */
    public static Dataset<Row> read(SparkSession spark, String dir, String split) {
        Manifest m = manifest(spark, dir);
        if (m.schemaVersion() != ImageRows.SCHEMA_VERSION) {
            throw new UserError("table " + dir + " has images schema version " + m.schemaVersion() + "; this code reads "
                    + "version " + ImageRows.SCHEMA_VERSION + " (re-run ingest with this version)");
        }
        Dataset<Row> df = spark.read().schema(ImageRows.SCHEMA).parquet(dir);
        if (split != null) {
            if (!m.counts().containsKey(split)) {
                throw new UserError("table " + dir + " has no split '" + split + "'; it has " + m.counts().keySet());
            }
            df = df.where(functions.col("split").equalTo(split));
        }
        return df;
    }

    /** The records of a committed images table, optionally of one split (null for all). */
    public static JavaRDD<ImageRecord> readRecords(SparkSession spark, String dir, String split) {
        return read(spark, dir, split).toJavaRDD().map(ImageRows::fromRow);
    }

    /**
     * A fingerprint of the table's content: the sum (mod 2^64) of every row's xxHash64 of id, split,
     * label and stored pixel bytes, and the row count, as hex. Independent of row order, file layout
     * and path, so a table derived from these images (descriptors) can be matched back to them. One
     * pass over the table.
     */
    public static String fingerprint(SparkSession spark, String dir) {
        Dataset<Row> df = read(spark, dir);
        JavaRDD<Long> hashes = df.select(functions.xxhash64(functions.col("id"), functions.col("split"),
                functions.col("label"), functions.col("data"))).toJavaRDD().map(r -> r.getLong(0));
        long[] sumCount = hashes.aggregate(new long[2], (acc, h) -> {
            acc[0] += h;
            acc[1]++;
            return acc;
        }, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        return String.format("%016x-%d", sumCount[0], sumCount[1]);
    }

    /** The table's manifest. */
    public static Manifest manifest(SparkSession spark, String dir) {
        return Manifest.read(spark.sparkContext().hadoopConfiguration(), dir);
    }

    /** Writes rows in {@link ImageRows#SCHEMA} as {@code shards} Parquet files into a directory that must not exist. */
    public static void writeParquet(Dataset<Row> images, String dir, int shards) {
        images.repartition(shards).write().mode(SaveMode.ErrorIfExists).parquet(dir);
    }

    /**
     * As {@link #writeParquet(Dataset, String, int)} with Parquet row groups of about
     * {@code rowGroupBytes}: the unit a reader fetches and decompresses, and the finest split Spark
     * can give one task when it reads the table.
     */
    public static void writeParquet(Dataset<Row> images, String dir, int shards, long rowGroupBytes) {
        images.repartition(shards).write().mode(SaveMode.ErrorIfExists)
                .option("parquet.block.size", Long.toString(rowGroupBytes)).parquet(dir);
    }

    /** Rows per split of a Parquet images directory (committed or not), splits in first-seen order of {@code order}. */
    public static Map<String, Long> countBySplit(SparkSession spark, String dir, List<String> order) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String s : order) {
            counts.put(s, 0L);
        }
        for (Row r : spark.read().schema(ImageRows.SCHEMA).parquet(dir).groupBy("split").count().collectAsList()) {
            counts.put(r.getString(0), r.getLong(1));
        }
        return counts;
    }

    /**
     * Writes records as a committed images table: {@code shards} Parquet files, then a manifest with
     * counts per split, atomically (see {@link TableCommit}).
     *
     * @param extra metadata for the manifest
     */
    public static Manifest write(SparkSession spark, JavaRDD<ImageRecord> records, String outDir, int shards,
                                 String stage, String format, Map<String, Object> extra, boolean overwrite) {
        if (shards < 1) {
            throw new UserError("shards must be >= 1 (got " + shards + ")");
        }
        try (TableCommit commit = TableCommit.begin(spark.sparkContext().hadoopConfiguration(), outDir, overwrite)) {
            writeParquet(spark.createDataFrame(records.map(ImageRows::toRow), ImageRows.SCHEMA), commit.tempDir(), shards);
            Map<String, Long> counts = countBySplit(spark, commit.tempDir(), List.of());
            long rows = counts.values().stream().mapToLong(Long::longValue).sum();
            Manifest m = Manifest.create(ImageRows.SCHEMA_VERSION, stage, format, List.of(), counts, rows, 0, extra);
            commit.commit(m);
            return m;
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        }
    }
}
