package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Weighted k-nearest-neighbour classifier on frozen features, the monitor of Wu et al. 2018
 * (instance discrimination) used throughout the SimCLR-era literature: cosine similarity, the k
 * most similar training rows vote for their label with weight {@code exp(sim / T)}, the class
 * with the largest total wins (ties: lower class index).
 *
 * <p>Train vectors are L2-normalised and collected once into a broadcast float matrix; each
 * partition of the test rows is scored against it in blocks by an ND4J matrix product. Neighbour
 * ties in similarity go to the lower train index (train order as collected), which makes the
 * result deterministic for a given input order.
 */
public final class KnnClassifier implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_K = 200;
    public static final double DEFAULT_TEMPERATURE = 0.07;
    public static final int DEFAULT_BLOCK_SIZE = 256;

    /** Output schema of {@link #predict}. */
    public static final StructType PREDICTION_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(FeatureTable.ID, DataTypes.StringType, false),
            DataTypes.createStructField(FeatureTable.LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField("prediction", DataTypes.IntegerType, false),
    });

    private final int k;
    private final double temperature;
    private final int blockSize;

    public KnnClassifier(int k, double temperature, int blockSize) {
        if (k <= 0) throw new UserError("kNN: k must be > 0, got " + k);
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new UserError("kNN: temperature must be finite and > 0, got " + temperature);
        }
        if (blockSize <= 0) throw new UserError("kNN: block size must be > 0, got " + blockSize);
        this.k = k;
        this.temperature = temperature;
        this.blockSize = blockSize;
    }

    public KnnClassifier(int k, double temperature) {
        this(k, temperature, DEFAULT_BLOCK_SIZE);
    }

    /** k = 200, T = 0.07. */
    public static KnnClassifier defaults() {
        return new KnnClassifier(DEFAULT_K, DEFAULT_TEMPERATURE);
    }

    public int k() {
        return k;
    }

    public double temperature() {
        return temperature;
    }

    /**
     * Training rows after normalisation: what the executors need, flat for one broadcast. A class,
     * not a record: Spark's Kryo (4.x) cannot serialise Java records by itself, and this broadcast
     * should not depend on which Kryo registrator the session was started with.
     */
    private static final class Bank implements Serializable {
        private static final long serialVersionUID = 1L;
        private final float[] unit;
        private final int[] labels;
        private final int rows, dim, numClasses;

        Bank(float[] unit, int[] labels, int rows, int dim, int numClasses) {
            this.unit = unit;
            this.labels = labels;
            this.rows = rows;
            this.dim = dim;
            this.numClasses = numClasses;
        }

        float[] unit() { return unit; }
        int[] labels() { return labels; }
        int rows() { return rows; }
        int dim() { return dim; }
        int numClasses() { return numClasses; }
    }

    /**
     * Predicts a class for every test row.
     *
     * @param train features rows ({@link FeatureTable} columns {@code label}, {@code vector}); labels &gt;= 0
     * @param test  features rows ({@code id}, {@code label}, {@code vector}); labels are carried through
     * @return rows of {@link #PREDICTION_SCHEMA}
     */
    public Dataset<Row> predict(Dataset<Row> train, Dataset<Row> test) {
        FeatureTable.requireSchema(train, "kNN train features");
        FeatureTable.requireSchema(test, "kNN test features");
        return predict(collectBank(train), test);
    }

    /** Top-1 accuracy of {@link #predict} on a labelled test set. */
    public KnnScores evaluate(Dataset<Row> train, Dataset<Row> test) {
        FeatureTable.requireSchema(train, "kNN train features");
        FeatureTable.requireSchema(test, "kNN test features");
        Bank bank = collectBank(train);
        Row r = predict(bank, test).selectExpr("count(1)", "sum(CASE WHEN label = prediction THEN 1 ELSE 0 END)",
                "min(label)").first();
        long n = r.getLong(0);
        if (n == 0) throw new UserError("kNN: the test set is empty");
        if (r.getInt(2) < 0) {
            throw new UserError("kNN: test label " + r.getInt(2) + " found; labels must be >= 0 (filter out unlabeled rows)");
        }
        return new KnnScores(bank.rows(), n, Math.min(k, bank.rows()), temperature, r.getLong(1) / (double) n);
    }

    private Dataset<Row> predict(Bank bank, Dataset<Row> test) {
        SparkSession spark = test.sparkSession();
        Broadcast<Bank> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bank);
        int effK = Math.min(k, bank.rows());
        double t = temperature;
        int block = blockSize;
        JavaRDD<Row> out = test.select(FeatureTable.ID, FeatureTable.LABEL, FeatureTable.VECTOR).toJavaRDD()
                .mapPartitions(rows -> scorePartition(rows, b.value(), effK, t, block));
        return spark.createDataFrame(out, PREDICTION_SCHEMA);
    }

    private static Bank collectBank(Dataset<Row> train) {
        // Normalise and narrow to float on the executors, so the driver receives half the bytes.
        List<Object[]> rows = train.select(FeatureTable.LABEL, FeatureTable.VECTOR).toJavaRDD()
                .map(r -> new Object[]{r.getInt(0), unit(((Vector) r.get(1)).toArray())}).collect();
        if (rows.isEmpty()) throw new UserError("kNN: the training set is empty");
        int n = rows.size();
        int d = ((float[]) rows.get(0)[1]).length;
        float[] flat = new float[Math.multiplyExact(n, d)];
        int[] labels = new int[n];
        int maxLabel = 0;
        for (int i = 0; i < n; i++) {
            int label = (Integer) rows.get(i)[0];
            float[] v = (float[]) rows.get(i)[1];
            if (label < 0) throw new UserError("kNN: training label " + label + " found; labels must be >= 0 (filter out unlabeled rows)");
            if (v.length != d) {
                throw new UserError("kNN: training vectors have different lengths (" + d + " and " + v.length + ")");
            }
            labels[i] = label;
            maxLabel = Math.max(maxLabel, label);
            System.arraycopy(v, 0, flat, i * d, d);
        }
        return new Bank(flat, labels, n, d, maxLabel + 1);
    }

    /** x / ||x|| in float; the zero vector stays zero (similarity 0 to everything). */
    static float[] unit(double[] x) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = ss > 0 ? 1.0 / Math.sqrt(ss) : 0.0;
        float[] u = new float[x.length];
        for (int i = 0; i < x.length; i++) u[i] = (float) (x[i] * inv);
        return u;
    }

    private static Iterator<Row> scorePartition(Iterator<Row> rows, Bank bank, int k, double t, int block) {
        if (!rows.hasNext()) return java.util.Collections.emptyIterator();
        INDArray trainT = Nd4j.create(bank.unit(), new long[]{bank.rows(), bank.dim()}, 'c').transpose();
        List<Row> out = new ArrayList<>();
        List<Row> pending = new ArrayList<>(block);
        while (rows.hasNext()) {
            pending.add(rows.next());
            if (pending.size() == block || !rows.hasNext()) {
                scoreBlock(pending, trainT, bank, k, t, out);
                pending.clear();
            }
        }
        return out.iterator();
    }

    private static void scoreBlock(List<Row> block, INDArray trainT, Bank bank, int k, double t, List<Row> out) {
        int b = block.size(), d = bank.dim();
        float[] q = new float[b * d];
        for (int i = 0; i < b; i++) {
            Row r = block.get(i);
            float[] u = unit(((Vector) r.get(2)).toArray());
            if (u.length != d) {
                throw new UserError("kNN: test row '" + r.getString(0) + "' has a vector of length " + u.length
                        + " but the training vectors have length " + d);
            }
            System.arraycopy(u, 0, q, i * d, d);
        }
        float[][] sims = Nd4j.create(q, new long[]{b, d}, 'c').mmul(trainT).toFloatMatrix();
        int[] heap = new int[k];
        double[] votes = new double[bank.numClasses()];
        for (int i = 0; i < b; i++) {
            int kept = Nearest.select(sims[i], k, heap);
            java.util.Arrays.fill(votes, 0.0);
            for (int j = 0; j < kept; j++) {
                votes[bank.labels()[heap[j]]] += Math.exp(sims[i][heap[j]] / t);
            }
            int best = 0;
            for (int c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
            Row r = block.get(i);
            out.add(RowFactory.create(r.getString(0), r.getInt(1), best));
        }
    }

    /** Indices of the k largest values by a bounded min-heap: O(n log k), no full sort per row. */
    static final class Nearest {
        private Nearest() {
        }

        /** Fills {@code heap[0..k)} with the indices of the k largest of {@code s} (ties: lower index); returns how many. */
        static int select(float[] s, int k, int[] heap) {
            int size = 0;
            for (int j = 0; j < s.length; j++) {
                if (size < k) {
                    heap[size] = j;
                    siftUp(s, heap, size++);
                } else if (better(s, j, heap[0])) {
                    heap[0] = j;
                    siftDown(s, heap, size);
                }
            }
            return size;
        }

        // The heap root is the worst kept neighbour: lowest similarity, then highest index.
        private static boolean better(float[] s, int a, int b) {
            return s[a] > s[b] || (s[a] == s[b] && a < b);
        }

        private static void siftUp(float[] s, int[] h, int i) {
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (!better(s, h[p], h[i])) break;
                int tmp = h[p];
                h[p] = h[i];
                h[i] = tmp;
                i = p;
            }
        }

        private static void siftDown(float[] s, int[] h, int size) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1, r = l + 1, w = i;
                if (l < size && better(s, h[w], h[l])) w = l;
                if (r < size && better(s, h[w], h[r])) w = r;
                if (w == i) return;
                int tmp = h[w];
                h[w] = h[i];
                h[i] = tmp;
                i = w;
            }
        }
    }
}
