package dev.pretext.eval;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The raw-pixel baseline of the features table: each image's bytes / 255 as one dense vector, in
 * the stored HWC order (a probe is invariant to a fixed permutation of coordinates, so no
 * transpose is needed). Computed on the executors, one pass over the images.
 */
public final class PixelFeatures {
    private PixelFeatures() {
    }

    /** Rows {@code id, split, label, layer="pixels", vector} of {@link FeatureTable#SCHEMA}. */
    public static Dataset<Row> compute(Dataset<Row> images) {
        JavaRDD<Row> rows = RawImages.select(images).toJavaRDD().map(r -> {
            RawImages.Image img = RawImages.read(r);
            byte[] d = img.data();
            double[] v = new double[d.length];
            for (int i = 0; i < d.length; i++) v[i] = (d[i] & 0xff) / 255.0;
            return RowFactory.create(img.id(), img.split(), img.label(), FeatureTable.PIXELS_LAYER, Vectors.dense(v));
        });
        return images.sparkSession().createDataFrame(rows, FeatureTable.SCHEMA);
    }
}
