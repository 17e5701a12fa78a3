package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.ChwTensors;
import dev.pretext.train.BatchSource;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * SimCLR minibatches from a materialised views table ({@code augment.mode = materialised}). Epoch
 * {@code e} of training reads the table's epoch {@code e mod E} (E = epochs materialised). The two
 * views of an image are brought together by id, so the pairs are exactly those the views job drew;
 * batches hold exactly {@code batchSize} pairs (the partial tail of a partition is dropped).
 */
public final class SimClrViewsBatchSource implements BatchSource {
    private final Dataset<Row> views;
    private final int epochsMaterialised;
    private final int batchSize;
    private final float[] mean;
    private final float[] std;
    private final String methodName;
    private final int partitions;
    private final long imagesPerEpoch;

    public SimClrViewsBatchSource(SparkSession spark, String viewsDir, int batchSize, float[] mean, float[] std,
                                  PretextMethod method) {
        this.views = spark.read().parquet(viewsDir).select("id", "epoch", "view", "height", "width", "data");
        Row stats = views.agg(functions.max("epoch"), functions.countDistinct("id"), functions.max("view")).first();
        if (stats.isNullAt(0)) {
            throw new UserError("views table " + viewsDir + " is empty");
        }
        if (stats.getInt(2) < 1) {
            throw new UserError("views table " + viewsDir + " has one view per image; SimCLR needs two (augment --views 2)");
        }
        this.epochsMaterialised = stats.getInt(0) + 1;
        long ids = stats.getLong(1);
        this.batchSize = batchSize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.methodName = method.name();  // methods are rebuilt by name on the executors
        if (ids < batchSize) {
            throw new UserError("views table " + viewsDir + " holds " + ids + " images: too few for a minibatch of "
                    + batchSize + " (lower train.batch-size)");
        }
        // Images are hashed into partitions; with twice a minibatch per partition on average, none
        // is left without a whole minibatch (an empty chunk would fail DL4J's parameter averaging).
        this.partitions = (int) Math.max(1, Math.min(views.rdd().getNumPartitions(), ids / (2L * batchSize)));
        long perPartition = ids / partitions;
        this.imagesPerEpoch = (perPartition / batchSize) * batchSize * partitions;
    }

    public int epochsMaterialised() {
        return epochsMaterialised;
    }

    @Override
    public JavaRDD<DataSet> epoch(int epoch) {
        int stored = epoch % epochsMaterialised;
        final int b = batchSize;
        final float[] m = mean;
        final float[] s = std;
        final String meth = methodName;
        final int seed = epoch;
        JavaPairRDD<String, Iterable<Row>> pairs = views.where(functions.col("epoch").equalTo(stored))
                .where(functions.col("view").lt(2))
                .javaRDD().mapToPair(r -> new Tuple2<>(r.getString(0), r)).groupByKey(partitions);
        return pairs.mapPartitionsWithIndex((partition, it) -> {
            List<Row[]> part = new ArrayList<>();
            while (it.hasNext()) {
                Tuple2<String, Iterable<Row>> t = it.next();
                Row[] two = new Row[2];
                for (Row r : t._2()) {
                    int v = r.getInt(2);
                    if (two[v] != null) {
                        throw new UserError("views table: image " + t._1() + " has view " + v + " twice in epoch " + stored);
                    }
                    two[v] = r;
                }
                if (two[0] == null || two[1] == null) {
                    throw new UserError("views table: image " + t._1() + " lacks view " + (two[0] == null ? 0 : 1)
                            + " in epoch " + stored);
                }
                part.add(two);
            }
            part.sort((x, y) -> x[0].getString(0).compareTo(y[0].getString(0)));
            Collections.shuffle(part, new Random(seed * 1_000_003L + partition));
            return batches(part, b, m, s, Methods.get(meth));
        }, true);
    }

    @Override
    public long imagesPerEpoch() {
        return imagesPerEpoch;
    }

    private static Iterator<DataSet> batches(List<Row[]> part, int b, float[] mean, float[] std, PretextMethod method) {
        return FixedBatches.of(part, b, batch -> assemble(batch, mean, std, method));
    }

    /** The two stored views of each image of {@code batch} as one minibatch. */
    private static DataSet assemble(List<Row[]> batch, float[] mean, float[] std, PretextMethod method) {
        int b = batch.size();
        int h = batch.get(0)[0].getInt(3);
        int w = batch.get(0)[0].getInt(4);
        int per = 3 * h * w;
        float[] a = new float[b * per];
        float[] c = new float[b * per];
        for (int i = 0; i < b; i++) {
            Row[] two = batch.get(i);
            if (two[0].getInt(3) != h || two[0].getInt(4) != w || two[1].getInt(3) != h || two[1].getInt(4) != w) {
                throw new UserError("views table: image " + two[0].getString(0) + " has a view size different from "
                        + h + "x" + w);
            }
            ChwTensors.normalized((byte[]) two[0].get(5), h, w, 3, mean, std, a, i * per);
            ChwTensors.normalized((byte[]) two[1].get(5), h, w, 3, mean, std, c, i * per);
        }
        return method.assemble(a, c, b, h, w);
    }
}
