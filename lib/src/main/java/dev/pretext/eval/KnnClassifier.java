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
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Weighted k-nearest-neighbour classifier on frozen features, the monitor of Wu et al. 2018
 * (instance discrimination) used throughout the SimCLR-era literature: cosine similarity, the k
 * most similar training rows vote for their label with weight {@code exp(sim / T)}, the class
 * with the largest total wins (ties: lower class index). Neighbour ties in similarity go to the
 * lower training index (the order of the training rows as Spark enumerates them, partition by
 * partition), which makes the result deterministic for a given input order.
 *
 * <p><b>Distributed search; neither the training set nor the test set is ever held whole by one
 * JVM.</b>
 * <ol>
 *   <li>The training rows get a global index ({@code zipWithIndex}: one pass over the training
 *       features to count the rows per partition), are L2-normalised to float on the executors
 *       and persisted ({@code MEMORY_AND_DISK_SER}) as blocks of at most {@code bankBlockBytes}
 *       (default 16 MB) of floats; a stats pass over the persisted bank checks labels and lengths.</li>
 *   <li>The test rows get a global index, are normalised and persisted the same way.</li>
 *   <li>The test rows are cut into chunks of {@code c} rows: {@code c = min(chunkBytes / (4 d),
 *       chunkBytes / (16 k))}, so that both the chunk's floats and its top-k state stay within
 *       {@code chunkBytes} (default 64 MB, {@code eval.knn-chunk-mb}). Each chunk is collected to
 *       the driver and broadcast (only that chunk); every task takes one partition of the bank
 *       and, block by block, multiplies {@code blockSize} test rows at a time against the bank
 *       block with ND4J ({@code sgemm}), keeping per test row a bounded heap of the k best
 *       (similarity, index, label). The per-partition top-k lists are merged by a
 *       {@code treeReduce} (depth 2) to the driver, which votes.</li>
 * </ol>
 *
 * <p><b>Memory per task</b>: the broadcast chunk ({@code c x d x 4} bytes, on heap, one copy per
 * executor) and its off-heap ND4J copy, one bank block ({@code <= bankBlockBytes} on and off
 * heap), the similarity block ({@code blockSize x bankBlockRows x 4} bytes) and the top-k state
 * ({@code c x k x 16} bytes); each is at most {@code chunkBytes} or {@code bankBlockBytes}, whatever the
 * size of either set. The driver holds one chunk, a few top-k partials of the same bound, and the
 * predictions (id, label, class) of the test rows.
 *
 * <p><b>Passes over the training features</b>: one to index them, one to normalise and persist
 * them, one stats pass over the persisted bank, and one per test chunk over the persisted bank:
 * {@code 3 + ceil(testRows / c)}. The test features are read once to index, once to persist, and
 * filtered once per chunk from the persisted copy.
 */
public final class KnnClassifier implements Serializable {
    private static final long serialVersionUID = 2L;
    public static final int DEFAULT_K = 200;
    public static final double DEFAULT_TEMPERATURE = 0.07;
    public static final int DEFAULT_BLOCK_SIZE = 256;
    public static final long DEFAULT_CHUNK_BYTES = 64L << 20;
    public static final long DEFAULT_BANK_BLOCK_BYTES = 16L << 20;

    /** Output schema of {@link #predict}. */
    public static final StructType PREDICTION_SCHEMA = new StructType(new StructField[]{
            DataTypes.createStructField(FeatureTable.ID, DataTypes.StringType, false),
            DataTypes.createStructField(FeatureTable.LABEL, DataTypes.IntegerType, false),
            DataTypes.createStructField("prediction", DataTypes.IntegerType, false),
    });

    private final int k;
    private final double temperature;
    private final int blockSize;
    private final long chunkBytes;
    private final long bankBlockBytes;

    /**
     * @param blockSize      test rows per matrix product
     * @param chunkBytes     bound on a test chunk's floats and on its top-k state (bytes)
     * @param bankBlockBytes bound on one persisted block of normalised training vectors (bytes)
     */
    public KnnClassifier(int k, double temperature, int blockSize, long chunkBytes, long bankBlockBytes) {
        if (k <= 0) throw new UserError("kNN: k must be > 0, got " + k);
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new UserError("kNN: temperature must be finite and > 0, got " + temperature);
        }
        if (blockSize <= 0) throw new UserError("kNN: block size must be > 0, got " + blockSize);
        if (chunkBytes <= 0) throw new UserError("kNN: chunk size must be > 0 bytes, got " + chunkBytes);
        if (bankBlockBytes <= 0) throw new UserError("kNN: bank block size must be > 0 bytes, got " + bankBlockBytes);
        this.k = k;
        this.temperature = temperature;
        this.blockSize = blockSize;
        this.chunkBytes = chunkBytes;
        this.bankBlockBytes = bankBlockBytes;
    }

    public KnnClassifier(int k, double temperature, int blockSize) {
        this(k, temperature, blockSize, DEFAULT_CHUNK_BYTES, DEFAULT_BANK_BLOCK_BYTES);
    }

    public KnnClassifier(int k, double temperature) {
        this(k, temperature, DEFAULT_BLOCK_SIZE);
    }

    /** k = 200, T = 0.07, 64 MB test chunks. */
    public static KnnClassifier defaults() {
        return new KnnClassifier(DEFAULT_K, DEFAULT_TEMPERATURE);
    }

    /** The same classifier with test chunks bounded by {@code chunkMb} MB. */
    public KnnClassifier withChunkMb(int chunkMb) {
        if (chunkMb <= 0) throw new UserError("kNN: chunk size must be > 0 MB, got " + chunkMb);
        return new KnnClassifier(k, temperature, blockSize, (long) chunkMb << 20, bankBlockBytes);
    }

    public int k() {
        return k;
    }

    public double temperature() {
        return temperature;
    }

    public long chunkBytes() {
        return chunkBytes;
    }

    /** Test rows per chunk for vectors of length {@code dim} and an effective k. */
    static int chunkRows(long chunkBytes, int dim, int effK) {
        long byVectors = chunkBytes / (4L * dim);
        long byTopK = chunkBytes / (16L * effK);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE - 8, Math.min(byVectors, byTopK)));
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
        List<Row> out = new ArrayList<>();
        search(train, test, false, (rows, top, numClasses) -> vote(rows, top, numClasses, out));
        return test.sparkSession().createDataFrame(out, PREDICTION_SCHEMA);
    }

    /** Top-1 accuracy of {@link #predict} on a labelled test set. */
    public KnnScores evaluate(Dataset<Row> train, Dataset<Row> test) {
        FeatureTable.requireSchema(train, "kNN train features");
        FeatureTable.requireSchema(test, "kNN test features");
        long[] correct = {0};
        List<Row> out = new ArrayList<>();
        Summary s = search(train, test, true, (rows, top, numClasses) -> {
            out.clear();
            vote(rows, top, numClasses, out);
            for (Row r : out) if (r.getInt(1) == r.getInt(2)) correct[0]++;
        });
        return new KnnScores(s.trainRows, s.testRows, s.effK, temperature, correct[0] / (double) s.testRows);
    }

    /** One test row's neighbours, best first: similarity (as computed, float), training index, label. */
    record Neighbours(String id, float[] sims, long[] indices, int[] labels) {
    }

    /** The k nearest training rows of every test row, in test order (package-private: for tests). */
    List<Neighbours> neighbours(Dataset<Row> train, Dataset<Row> test) {
        List<Neighbours> out = new ArrayList<>();
        search(train, test, false, (rows, top, numClasses) -> {
            for (int i = 0; i < rows.size(); i++) {
                int[] order = top.sorted(i);
                float[] s = new float[order.length];
                long[] idx = new long[order.length];
                int[] lab = new int[order.length];
                for (int j = 0; j < order.length; j++) {
                    s[j] = top.sim[order[j]];
                    idx[j] = top.idx[order[j]];
                    lab[j] = top.label[order[j]];
                }
                out.add(new Neighbours(rows.get(i).id, s, idx, lab));
            }
        });
        return out;
    }

    private interface ChunkSink {
        void accept(List<TestRow> rows, TopK top, int numClasses);
    }

    private record Summary(long trainRows, long testRows, int effK) {
    }

    private void vote(List<TestRow> rows, TopK top, int numClasses, List<Row> out) {
        double[] votes = new double[numClasses];
        for (int i = 0; i < rows.size(); i++) {
            Arrays.fill(votes, 0.0);
            // best first, the order of a sorted reference, so the sums are the same to the last bit
            for (int e : top.sorted(i)) votes[top.label[e]] += Math.exp(top.sim[e] / temperature);
            int best = 0;
            for (int c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
            TestRow r = rows.get(i);
            out.add(RowFactory.create(r.id, r.label, best));
        }
    }

    private Summary search(Dataset<Row> train, Dataset<Row> test, boolean requireTestLabels, ChunkSink sink) {
        SparkSession spark = test.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        long blockBytes = bankBlockBytes;
        JavaRDD<BankBlock> bank = train.select(FeatureTable.LABEL, FeatureTable.VECTOR).toJavaRDD().zipWithIndex()
                .mapPartitions(rows -> new BlockIterator(rows, blockBytes))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        JavaRDD<TestRow> tests = null;
        try {
            BankStats bs = bank.map(BankStats::of).fold(new BankStats(), BankStats::merge);
            if (bs.rows == 0) throw new UserError("kNN: the training set is empty");
            if (bs.minLabel < 0) {
                throw new UserError("kNN: training label " + bs.minLabel + " found; labels must be >= 0 (filter out unlabeled rows)");
            }
            if (bs.minDim != bs.maxDim) {
                throw new UserError("kNN: training vectors have different lengths (" + bs.minDim + " and " + bs.maxDim + ")");
            }
            int d = bs.minDim;
            int numClasses = bs.maxLabel + 1;
            int effK = (int) Math.min(k, bs.rows);

            tests = test.select(FeatureTable.ID, FeatureTable.LABEL, FeatureTable.VECTOR).toJavaRDD().zipWithIndex()
                    .map(TestRow::of).persist(StorageLevel.MEMORY_AND_DISK_SER());
            Row ts = spark.createDataFrame(tests.map(r -> RowFactory.create(r.unit.length, r.label)),
                    new StructType().add("dim", DataTypes.IntegerType).add("label", DataTypes.IntegerType))
                    .selectExpr("count(1)", "min(dim)", "max(dim)", "min(label)").first();
            long m = ts.getLong(0);
            if (m == 0) throw new UserError("kNN: the test set is empty");
            if (ts.getInt(1) != d || ts.getInt(2) != d) {
                TestRow bad = tests.filter(r -> r.unit.length != d).first();
                throw new UserError("kNN: test row '" + bad.id + "' has a vector of length " + bad.unit.length
                        + " but the training vectors have length " + d);
            }
            if (requireTestLabels && ts.getInt(3) < 0) {
                throw new UserError("kNN: test label " + ts.getInt(3) + " found; labels must be >= 0 (filter out unlabeled rows)");
            }

            int c = chunkRows(chunkBytes, d, effK);
            int block = blockSize;
            for (long start = 0; start < m; start += c) {
                long from = start, to = Math.min(m, start + c);
                List<TestRow> rows = new ArrayList<>(tests.filter(r -> r.pos >= from && r.pos < to).collect());
                rows.sort(Comparator.comparingLong(r -> r.pos));
                float[] q = new float[Math.multiplyExact(rows.size(), d)];
                for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i).unit, 0, q, i * d, d);
                Broadcast<float[]> chunk = jsc.broadcast(q);
                q = null;
                int n = rows.size();
                try {
                    TopK top = bank.mapPartitions(blocks -> Collections.singletonList(
                                    searchPartition(blocks, chunk.value(), n, d, effK, block)).iterator())
                            .treeReduce(TopK::merge, 2);
                    sink.accept(rows, top, numClasses);
                } finally {
                    chunk.destroy();
                }
            }
            return new Summary(bs.rows, m, effK);
        } finally {
            bank.unpersist(false);
            if (tests != null) tests.unpersist(false);
        }
    }

    /** One task: a test chunk against the bank blocks of one training partition. */
    private static TopK searchPartition(Iterator<BankBlock> blocks, float[] q, int n, int d, int k, int block) {
        TopK top = new TopK(n, k);
        if (!blocks.hasNext()) return top;
        INDArray queries = Nd4j.create(q, new long[]{n, d}, 'c');
        while (blocks.hasNext()) {
            BankBlock b = blocks.next();
            if (b.rows == 0) continue;
            INDArray bankT = Nd4j.create(b.unit, new long[]{b.rows, d}, 'c').transpose();
            for (int s = 0; s < n; s += block) {
                int e = Math.min(n, s + block);
                INDArray sub = queries.get(NDArrayIndex.interval(s, e), NDArrayIndex.all());
                INDArray prod = sub.mmul(bankT);
                if (prod.ordering() != 'c' || prod.isView()) prod = prod.dup('c');
                float[] sims = prod.data().asFloat();
                for (int i = s; i < e; i++) {
                    int off = (i - s) * b.rows;
                    for (int j = 0; j < b.rows; j++) top.offer(i, sims[off + j], b.first + j, b.labels[j]);
                }
            }
        }
        return top;
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

    /**
     * Consecutive normalised training rows of one partition, flat. Plain classes, not records:
     * Spark's Kryo (4.x) cannot serialise Java records by itself.
     */
    static final class BankBlock implements Serializable {
        private static final long serialVersionUID = 1L;
        final long first;      // global index of the first row; the rows are consecutive
        final int rows;
        final int minDim, maxDim, minLabel, maxLabel;
        final float[] unit;    // rows x dim, empty when the lengths differ
        final int[] labels;

        BankBlock(long first, int rows, int minDim, int maxDim, int minLabel, int maxLabel, float[] unit, int[] labels) {
            this.first = first;
            this.rows = rows;
            this.minDim = minDim;
            this.maxDim = maxDim;
            this.minLabel = minLabel;
            this.maxLabel = maxLabel;
            this.unit = unit;
            this.labels = labels;
        }
    }

    /** Groups a partition's (row, index) pairs into blocks of at most the byte bound, lazily. */
    private static final class BlockIterator implements Iterator<BankBlock> {
        private final Iterator<Tuple2<Row, Long>> rows;
        private final long blockBytes;

        BlockIterator(Iterator<Tuple2<Row, Long>> rows, long blockBytes) {
            this.rows = rows;
            this.blockBytes = blockBytes;
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public BankBlock next() {
            if (!rows.hasNext()) throw new NoSuchElementException();
            List<float[]> vs = new ArrayList<>();
            List<Integer> ls = new ArrayList<>();
            long first = -1;
            int cap = Integer.MAX_VALUE;
            int minDim = Integer.MAX_VALUE, maxDim = 0, minLabel = Integer.MAX_VALUE, maxLabel = Integer.MIN_VALUE;
            while (rows.hasNext() && vs.size() < cap) {
                Tuple2<Row, Long> t = rows.next();
                if (first < 0) first = t._2();
                int label = t._1().getInt(0);
                float[] u = unit(((Vector) t._1().get(1)).toArray());
                if (cap == Integer.MAX_VALUE) cap = (int) Math.max(1, Math.min(1 << 20, blockBytes / (4L * Math.max(1, u.length))));
                vs.add(u);
                ls.add(label);
                minDim = Math.min(minDim, u.length);
                maxDim = Math.max(maxDim, u.length);
                minLabel = Math.min(minLabel, label);
                maxLabel = Math.max(maxLabel, label);
            }
            int n = vs.size();
            int[] labels = ls.stream().mapToInt(Integer::intValue).toArray();
            float[] flat = new float[0];
            if (minDim == maxDim) {
                flat = new float[Math.multiplyExact(n, minDim)];
                for (int i = 0; i < n; i++) System.arraycopy(vs.get(i), 0, flat, i * minDim, minDim);
            }
            return new BankBlock(first, n, minDim, maxDim, minLabel, maxLabel, flat, labels);
        }
    }

    private static final class BankStats implements Serializable {
        private static final long serialVersionUID = 1L;
        long rows;
        int minDim = Integer.MAX_VALUE, maxDim = Integer.MIN_VALUE, minLabel = Integer.MAX_VALUE, maxLabel = Integer.MIN_VALUE;

        static BankStats of(BankBlock b) {
            BankStats s = new BankStats();
            s.rows = b.rows;
            s.minDim = b.minDim;
            s.maxDim = b.maxDim;
            s.minLabel = b.minLabel;
            s.maxLabel = b.maxLabel;
            return s;
        }

        static BankStats merge(BankStats a, BankStats b) {
            BankStats s = new BankStats();
            s.rows = a.rows + b.rows;
            s.minDim = Math.min(a.minDim, b.minDim);
            s.maxDim = Math.max(a.maxDim, b.maxDim);
            s.minLabel = Math.min(a.minLabel, b.minLabel);
            s.maxLabel = Math.max(a.maxLabel, b.maxLabel);
            return s;
        }
    }

    /** A normalised test row with its global position. */
    static final class TestRow implements Serializable {
        private static final long serialVersionUID = 1L;
        final long pos;
        final String id;
        final int label;
        final float[] unit;

        TestRow(long pos, String id, int label, float[] unit) {
            this.pos = pos;
            this.id = id;
            this.label = label;
            this.unit = unit;
        }

        static TestRow of(Tuple2<Row, Long> t) {
            Row r = t._1();
            return new TestRow(t._2(), r.getString(0), r.getInt(1), unit(((Vector) r.get(2)).toArray()));
        }
    }

    /**
     * For each of n test rows a bounded heap of the k best (similarity, training index, label),
     * flat: entry {@code i * k + j}. The root of each heap is its worst entry: lowest similarity,
     * then highest index. Merging keeps the k best of the union, so it is associative and
     * commutative, and the result does not depend on how the bank is partitioned.
     */
    static final class TopK implements Serializable {
        private static final long serialVersionUID = 1L;
        final int n, k;
        final float[] sim;
        final long[] idx;
        final int[] label;
        final int[] size;

        TopK(int n, int k) {
            this.n = n;
            this.k = k;
            sim = new float[Math.multiplyExact(n, k)];
            idx = new long[sim.length];
            label = new int[sim.length];
            size = new int[n];
        }

        void offer(int row, float s, long index, int lab) {
            int base = row * k, sz = size[row];
            if (sz < k) {
                sim[base + sz] = s;
                idx[base + sz] = index;
                label[base + sz] = lab;
                size[row] = sz + 1;
                siftUp(base, sz);
            } else if (s > sim[base] || (s == sim[base] && index < idx[base])) {
                sim[base] = s;
                idx[base] = index;
                label[base] = lab;
                siftDown(base, sz);
            }
        }

        static TopK merge(TopK a, TopK b) {
            TopK into = a, from = b;
            for (int i = 0; i < from.n; i++) {
                int base = i * from.k;
                for (int j = 0; j < from.size[i]; j++) into.offer(i, from.sim[base + j], from.idx[base + j], from.label[base + j]);
            }
            return into;
        }

        /** Flat entry positions of row i's neighbours, best first (similarity desc, index asc). */
        int[] sorted(int row) {
            int base = row * k;
            Integer[] e = new Integer[size[row]];
            for (int j = 0; j < e.length; j++) e[j] = base + j;
            Arrays.sort(e, (x, y) -> better(x, y) ? -1 : better(y, x) ? 1 : 0);
            return Arrays.stream(e).mapToInt(Integer::intValue).toArray();
        }

        private boolean better(int a, int b) {
            return sim[a] > sim[b] || (sim[a] == sim[b] && idx[a] < idx[b]);
        }

        private void swap(int a, int b) {
            float s = sim[a];
            sim[a] = sim[b];
            sim[b] = s;
            long x = idx[a];
            idx[a] = idx[b];
            idx[b] = x;
            int l = label[a];
            label[a] = label[b];
            label[b] = l;
        }

        private void siftUp(int base, int i) {
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (!better(base + p, base + i)) break;
                swap(base + p, base + i);
                i = p;
            }
        }

        private void siftDown(int base, int size) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1, r = l + 1, w = i;
                if (l < size && better(base + w, base + l)) w = l;
                if (r < size && better(base + w, base + r)) w = r;
                if (w == i) return;
                swap(base + w, base + i);
                i = w;
            }
        }
    }

    /** Indices of the k largest values by a bounded min-heap: O(n log k), no full sort per row. */
    static final class Nearest {
        private Nearest() {
        }

        /** Fills {@code heap[0..k)} with the indices of the k largest of {@code s} (ties: lower index); returns how many. */
        static int select(float[] s, int k, int[] heap) {
            TopK t = new TopK(1, k);
            for (int j = 0; j < s.length; j++) t.offer(0, s[j], j, 0);
            for (int j = 0; j < t.size[0]; j++) heap[j] = (int) t.idx[j];
            return t.size[0];
        }
    }
}
