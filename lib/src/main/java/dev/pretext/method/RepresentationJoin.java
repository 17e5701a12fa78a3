package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.describe.DescriptorRows;
import dev.pretext.describe.DescriptorsTable;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Joins the pre-training images to their representation vectors (columns of a descriptors table)
 * by id, on the executors, into the examples of {@link ViewsBatchSource#withRepresentations}. Every
 * image must have a row: a missing one fails, naming it, before any training.
 */
public final class RepresentationJoin {
    private RepresentationJoin() {
    }

    public static JavaRDD<ViewsBatchSource.Example> join(SparkSession spark, JavaRDD<ImageRecord> images,
                                                         String descriptorsDir, List<String> columns) {
        List<String> cols = List.copyOf(columns);
        String[] select = new String[cols.size()];
        for (int i = 0; i < select.length; i++) {
            select[i] = cols.get(i);
        }
        JavaPairRDD<String, float[][]> reps = DescriptorsTable.read(spark, descriptorsDir).select("id", select)
                .toJavaRDD().mapToPair(row -> new Tuple2<>(row.getString(0), vectors(row, cols)));
        JavaPairRDD<String, ImageRecord> byId = images.mapToPair(i -> new Tuple2<>(i.id(), i));
        JavaRDD<ViewsBatchSource.Example> joined = byId.join(reps, images.getNumPartitions())
                .values().map(t -> new ViewsBatchSource.Example(t._1(), t._2()));
        long want = images.count();
        long got = joined.count();
        if (got != want) {
            List<String> missing = byId.subtractByKey(reps).keys().take(3);
            throw new UserError("descriptors table " + descriptorsDir + " has rows for " + got + " of the " + want
                    + " pre-training images" + (missing.isEmpty() ? " (an id appears twice)" : "; none for "
                    + String.join(", ", missing)) + ": describe these images (or leave data.descriptors empty)");
        }
        return joined;
    }

    private static float[][] vectors(Row row, List<String> cols) {
        float[][] out = new float[cols.size()][];
        for (int k = 0; k < out.length; k++) {
            out[k] = DescriptorRows.vector(row, cols.get(k));
        }
        return out;
    }
}
