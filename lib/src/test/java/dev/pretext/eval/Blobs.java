package dev.pretext.eval;

import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Synthetic features-table rows: Gaussian blobs around per-class centres. */
final class Blobs {
    final double[][] centres;
    final double noise;

    Blobs(int classes, int dim, double spread, double noise, long seed) {
        Random rnd = new Random(seed);
        centres = new double[classes][dim];
        for (double[] c : centres) for (int j = 0; j < dim; j++) c[j] = rnd.nextGaussian() * spread;
        this.noise = noise;
    }

    double[] sample(int cls, Random rnd) {
        double[] v = centres[cls].clone();
        for (int j = 0; j < v.length; j++) v[j] += rnd.nextGaussian() * noise;
        return v;
    }

    static Row row(String id, String split, int label, double[] v) {
        return RowFactory.create(id, split, label, "emb", Vectors.dense(v));
    }

    /** {@code perClass[c]} rows of class c, ids {@code split/i}. */
    List<Row> rows(String split, int[] perClass, long seed) {
        Random rnd = new Random(seed);
        List<Row> out = new ArrayList<>();
        int i = 0;
        for (int c = 0; c < perClass.length; c++) {
            for (int n = 0; n < perClass[c]; n++) out.add(row(split + "/" + i++, split, c, sample(c, rnd)));
        }
        return out;
    }

    List<Row> rows(String split, int perClass, long seed) {
        int[] p = new int[centres.length];
        java.util.Arrays.fill(p, perClass);
        return rows(split, p, seed);
    }

    static Dataset<Row> table(SparkSession spark, List<Row> rows) {
        // A local relation already spreads over the default parallelism (2), without a shuffle to redo per action.
        return spark.createDataFrame(rows, FeatureTable.SCHEMA);
    }
}
