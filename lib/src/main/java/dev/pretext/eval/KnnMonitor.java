package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.train.EncoderMonitor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * The online kNN monitor (as in lightly's benchmark callback and solo-learn's online evaluation):
 * a fixed, seeded labelled subset of the training split (the bank) and of the test split (the
 * queries), held on the driver as normalised tensors; after every chunk the frozen encoder embeds
 * both and a weighted kNN (cosine, {@code k}, votes {@code exp(sim / T)}, the same rule as
 * {@link KnnClassifier}) scores the queries. Cheap by design: a few thousand small images, so a
 * chunk costs seconds more. It measures trend, not the final number: the bank is a subset.
 */
public final class KnnMonitor implements EncoderMonitor {
    public static final String METRIC = "knn_top1";
    /** Pixel floats the driver may hold for the two subsets (both are shrunk to fit). */
    public static final long MAX_FLOATS = 16L << 20;   // 64 MB
    private static final int BATCH = 256;

    private final INDArray bank;
    private final int[] bankLabels;
    private final INDArray queries;
    private final int[] queryLabels;
    private final String layer;
    private final int k;
    private final double temperature;
    private final int numClasses;
    /** The graph that embeds whole images, from the training graph (the method's evaluation view). */
    private EncoderView view = (trained, height, width) -> trained;

    /** A method's whole-image encoder from its training graph (see PretextMethod.evaluationGraph). */
    @FunctionalInterface
    public interface EncoderView {
        ComputationGraph apply(ComputationGraph trained, int height, int width);
    }

    /**
     * Embeds with {@code view}'s graph instead of the training graph itself; either way only the
     * encoder sub-graph up to the layer runs when the graph has other inputs than the image.
     */
    public KnnMonitor withView(EncoderView view) {
        this.view = view;
        return this;
    }

    KnnMonitor(INDArray bank, int[] bankLabels, INDArray queries, int[] queryLabels, String layer, int k,
               double temperature) {
        if (bankLabels.length < 1 || queryLabels.length < 1) {
            throw new UserError("kNN monitor: needs labelled training and test images, got " + bankLabels.length
                    + " and " + queryLabels.length);
        }
        this.bank = bank;
        this.bankLabels = bankLabels;
        this.queries = queries;
        this.queryLabels = queryLabels;
        this.layer = layer;
        this.k = Math.min(k, bankLabels.length);
        this.temperature = temperature;
        int max = 0;
        for (int l : bankLabels) max = Math.max(max, l);
        for (int l : queryLabels) max = Math.max(max, l);
        this.numClasses = max + 1;
    }

    /**
     * Samples the two subsets from an images table: rows ordered by a seeded hash of their id (so
     * the choice depends neither on partitioning nor on row order), the first {@code trainImages}
     * of {@code train} and {@code testImages} of {@code testSplit} with a label, shrunk together
     * so the pixels stay under {@link #MAX_FLOATS}.
     */
    public static KnnMonitor sample(Dataset<Row> images, String testSplit, int trainImages, int testImages, long seed,
                                    PixelNormalization norm, String layer, int k, double temperature) {
        Dataset<Row> labelled = RawImages.select(images).where(col("label").geq(0));
        Row first = labelled.select("height", "width", "channels").first();
        if (first == null) {
            throw new UserError("kNN monitor: the images table has no labelled images");
        }
        long per = (long) first.getInt(0) * first.getInt(1) * first.getInt(2);
        double shrink = Math.min(1.0, MAX_FLOATS / (double) (per * (trainImages + testImages)));
        int nTrain = Math.max(1, (int) (trainImages * shrink));
        int nTest = Math.max(1, (int) (testImages * shrink));
        Tensors train = take(labelled, "train", nTrain, seed, norm);
        Tensors test = take(labelled, testSplit, nTest, seed, norm);
        return new KnnMonitor(train.x, train.labels, test.x, test.labels, layer, k, temperature);
    }

    private record Tensors(INDArray x, int[] labels) {
    }

    private static Tensors take(Dataset<Row> labelled, String split, int n, long seed, PixelNormalization norm) {
        List<Row> rows = labelled.where(col("split").equalTo(split))
                .orderBy(xxhash64(col("id"), lit(seed)), col("id")).limit(n).collectAsList();
        if (rows.isEmpty()) {
            throw new UserError("kNN monitor: no labelled images in split '" + split + "'");
        }
        RawImages.Image f = RawImages.read(rows.get(0));
        int c = f.channels(), h = f.height(), w = f.width(), per = c * h * w;
        float[] buf = new float[rows.size() * per];
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            RawImages.Image img = RawImages.read(rows.get(i));
            if (!img.sameShape(f)) {
                throw new UserError("kNN monitor: image '" + img.id() + "' is " + img.height() + "x" + img.width()
                        + ", unlike the " + h + "x" + w + " of the rest; the monitor needs one image size");
            }
            norm.toChw(img.data(), h, w, c, buf, i * per);
            labels[i] = img.label();
        }
        return new Tensors(Nd4j.create(buf, new long[]{rows.size(), c, h, w}, 'c'), labels);
    }

    @Override
    public String metric() {
        return METRIC;
    }

    public int bankSize() {
        return bankLabels.length;
    }

    public int querySize() {
        return queryLabels.length;
    }

    @Override
    public double evaluate(ComputationGraph training) {
        ComputationGraph net = view.apply(training, (int) bank.size(2), (int) bank.size(3));
        if (net.getNumInputArrays() > 1) {
            net = EncoderSubgraph.extract(net, List.of(layer));
        }
        float[][] b = unitRows(embed(net, bank));
        float[][] q = unitRows(embed(net, queries));
        int correct = 0;
        for (int i = 0; i < q.length; i++) {
            if (vote(q[i], b) == queryLabels[i]) correct++;
        }
        return correct / (double) q.length;
    }

    /** Weighted vote of the k most similar bank rows (ties: lower bank index; class ties: lower class). */
    int vote(float[] query, float[][] bankRows) {
        float[] sim = new float[bankRows.length];
        for (int j = 0; j < bankRows.length; j++) {
            double s = 0;
            for (int d = 0; d < query.length; d++) s += query[d] * bankRows[j][d];
            sim[j] = (float) s;
        }
        int[] nearest = new int[k];
        int kept = KnnClassifier.Nearest.select(sim, k, nearest);
        double[] votes = new double[numClasses];
        for (int j = 0; j < kept; j++) {
            votes[bankLabels[nearest[j]]] += Math.exp(sim[nearest[j]] / temperature);
        }
        int best = 0;
        for (int c = 1; c < numClasses; c++) if (votes[c] > votes[best]) best = c;
        return best;
    }

    private float[][] embed(ComputationGraph net, INDArray x) {
        long n = x.size(0);
        List<float[]> out = new ArrayList<>();
        DataType type = net.params().dataType();
        for (long from = 0; from < n; from += BATCH) {
            long to = Math.min(n, from + BATCH);
            INDArray in = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to));
            if (in.dataType() != type) in = in.castTo(type);
            INDArray act = net.output(List.of(layer), false, new INDArray[]{in}, null)[0];
            float[][] m = act.reshape('c', to - from, act.length() / (to - from)).toFloatMatrix();
            java.util.Collections.addAll(out, m);
        }
        return out.toArray(new float[0][]);
    }

    private static float[][] unitRows(float[][] m) {
        for (float[] r : m) {
            double ss = 0;
            for (float v : r) ss += v * v;
            double inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
            for (int i = 0; i < r.length; i++) r[i] = (float) (r[i] * inv);
        }
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "kNN monitor: %d train / %d test images, k=%d, T=%s, layer %s",
                bankLabels.length, queryLabels.length, k, temperature, layer);
    }
}
