package dev.pretext.data;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The side table of records an ingest left out: {@code <table>/_quarantine}, Parquet (source, reason). */
public final class QuarantineTable {
    public static final String DIR = "_quarantine";

    public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("source", DataTypes.StringType, false),
        DataTypes.createStructField("reason", DataTypes.StringType, false),
    });

    private QuarantineTable() {
    }

    public static Row toRow(QuarantinedItem q) {
        return RowFactory.create(q.source(), q.reason());
    }

    /** Path of the quarantine table of a table directory. */
    public static String path(String tableDir) {
        return new org.apache.hadoop.fs.Path(tableDir, DIR).toString();
    }

    /** The quarantined records of a committed table (empty when the table was ingested with SKIP and none were bad). */
    public static Dataset<Row> read(SparkSession spark, String tableDir) {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        Manifest.read(conf, tableDir);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path(tableDir));
        try {
            if (!p.getFileSystem(conf).exists(p)) {
                // ingested under FAIL: nothing can have been quarantined
                return spark.createDataFrame(java.util.List.of(), SCHEMA);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot check " + p, e);
        }
        return spark.read().schema(SCHEMA).parquet(p.toString());
    }
}
