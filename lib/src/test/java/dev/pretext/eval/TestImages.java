package dev.pretext.eval;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import dev.pretext.data.ImageRows;

import java.util.List;
import java.util.Random;

/** A tiny images table (README "Tables" schema) built in memory for the feature tests. */
final class TestImages {
    static final StructType SCHEMA = ImageRows.SCHEMA;

    private TestImages() {
    }

    static Row image(String id, String split, int label, int h, int w, byte[] data, String encoding) {
        return RowFactory.create(id, split, label, -1, h, w, 3, encoding, data, "test#" + id);
    }

    static byte[] randomPixels(Random rnd, int h, int w) {
        byte[] d = new byte[h * w * 3];
        rnd.nextBytes(d);
        return d;
    }

    static Dataset<Row> table(SparkSession spark, List<Row> rows, int partitions) {
        return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
    }
}
