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
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Minibatches from a materialised views table ({@code augment.mode = materialised}). Epoch
 * {@code e} of training reads the table's epoch {@code e mod E} (E = epochs materialised). The K
 * views of an image (views 0..K-1 of the table) are brought together by id, so they are exactly
 * those the views job drew, and all land in one minibatch; batches hold exactly {@code batchSize}
 * images (the partial tail of a partition is dropped). The table was made with the
 * {@code augment.*} recipe alone: a method whose views need recipes of their own (BYOL's
 * asymmetric blur and solarisation, rotation's turns) or share one draw is refused and must augment on the fly.
 */
public final class StoredViewsBatchSource implements BatchSource {
    private final Dataset<Row> views;
    private final int epochsMaterialised;
    private final int batchSize;
    private final float[] mean;
    private final float[] std;
    private final PretextMethod method;
    private final int viewCount;
    private final int partitions;
    private final long imagesPerEpoch;

    public StoredViewsBatchSource(SparkSession spark, String viewsDir, int batchSize, float[] mean, float[] std,
                                  PretextMethod method, dev.pretext.augment.AugmentSpec base) {
        this.viewCount = method.views(base).size();
        for (int v = 0; v < viewCount; v++) {
            if (!method.views(base).get(v).equals(dev.pretext.augment.ViewRecipe.of(base)) || method.drawIndex(v) != v) {
                throw new UserError("method " + method.name() + " makes its views with recipes of its own (per-view"
                        + " blur or solarisation, a lighter recipe, rotations, or views sharing one draw), which a"
                        + " materialised views table (independent views of augment.* alone) does not hold: use"
                        + " augment.mode = on-the-fly");
            }
        }
        this.views = spark.read().parquet(viewsDir).select("id", "epoch", "view", "height", "width", "data");
        Row stats = views.agg(functions.max("epoch"), functions.countDistinct("id"), functions.max("view")).first();
        if (stats.isNullAt(0)) {
            throw new UserError("views table " + viewsDir + " is empty");
        }
        if (stats.getInt(2) + 1 < viewCount) {
            throw new UserError("views table " + viewsDir + " has " + (stats.getInt(2) + 1) + " view(s) per image;"
                    + " method " + method.name() + " needs " + viewCount + " (augment --views " + viewCount + ")");
        }
        this.epochsMaterialised = stats.getInt(0) + 1;
        long ids = stats.getLong(1);
        this.batchSize = batchSize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.method = method;
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
    public JavaRDD<MultiDataSet> epoch(int epoch) {
        int stored = epoch % epochsMaterialised;
        final int b = batchSize;
        final float[] m = mean;
        final float[] s = std;
        final PretextMethod meth = method;
        final int k = viewCount;
        final int seed = epoch;
        JavaPairRDD<String, Iterable<Row>> pairs = views.where(functions.col("epoch").equalTo(stored))
                .where(functions.col("view").lt(k))
                .javaRDD().mapToPair(r -> new Tuple2<>(r.getString(0), r)).groupByKey(partitions);
        return pairs.mapPartitionsWithIndex((partition, it) -> {
            List<Row[]> part = new ArrayList<>();
            while (it.hasNext()) {
                Tuple2<String, Iterable<Row>> t = it.next();
                Row[] all = new Row[k];
                for (Row r : t._2()) {
                    int v = r.getInt(2);
                    if (all[v] != null) {
                        throw new UserError("views table: image " + t._1() + " has view " + v + " twice in epoch " + stored);
                    }
                    all[v] = r;
                }
                for (int v = 0; v < k; v++) {
                    if (all[v] == null) {
                        throw new UserError("views table: image " + t._1() + " lacks view " + v + " in epoch " + stored);
                    }
                }
                part.add(all);
            }
            part.sort((x, y) -> x[0].getString(0).compareTo(y[0].getString(0)));
            Collections.shuffle(part, new Random(seed * 1_000_003L + partition));
            return batches(part, b, m, s, meth);
        }, true);
    }

    @Override
    public long imagesPerEpoch() {
        return imagesPerEpoch;
    }

    private static Iterator<MultiDataSet> batches(List<Row[]> part, int b, float[] mean, float[] std, PretextMethod method) {
        return FixedBatches.of(part, b, batch -> assemble(batch, mean, std, method));
    }

    /** The K stored views of each image of {@code batch} as one minibatch. */
    private static MultiDataSet assemble(List<Row[]> batch, float[] mean, float[] std, PretextMethod method) {
        int b = batch.size();
        int k = batch.get(0).length;
        int h = batch.get(0)[0].getInt(3);
        int w = batch.get(0)[0].getInt(4);
        int per = 3 * h * w;
        float[][] views = new float[k][b * per];
        for (int i = 0; i < b; i++) {
            Row[] all = batch.get(i);
            for (int v = 0; v < k; v++) {
                if (all[v].getInt(3) != h || all[v].getInt(4) != w) {
                    throw new UserError("views table: image " + all[0].getString(0) + " has a view size different from "
                            + h + "x" + w);
                }
                ChwTensors.normalized((byte[]) all[v].get(5), h, w, 3, mean, std, views[v], i * per);
            }
        }
        return method.assemble(views, b, h, w);
    }
}
