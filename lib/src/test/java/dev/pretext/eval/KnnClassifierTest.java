package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnnClassifierTest extends SparkTestBase {

    /** Plain double-precision brute force: sort every train row by cosine similarity. */
    private static int reference(List<Row> train, double[] q, int k, double t) {
        int n = train.size();
        double[] sims = new double[n];
        for (int i = 0; i < n; i++) {
            double[] x = ((Vector) train.get(i).get(4)).toArray();
            double dot = 0, nx = 0, nq = 0;
            for (int j = 0; j < x.length; j++) {
                dot += x[j] * q[j];
                nx += x[j] * x[j];
                nq += q[j] * q[j];
            }
            sims[i] = dot / Math.sqrt(nx * nq);
        }
        Integer[] order = IntStream.range(0, n).boxed().sorted(
                Comparator.<Integer>comparingDouble(i -> -sims[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
        int classes = train.stream().mapToInt(r -> r.getInt(2)).max().orElseThrow() + 1;
        double[] votes = new double[classes];
        for (int j = 0; j < Math.min(k, n); j++) votes[train.get(order[j]).getInt(2)] += Math.exp(sims[order[j]] / t);
        int best = 0;
        for (int c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
        return best;
    }

    @Test
    void matchesBruteForceReference() {
        // Overlapping blobs so that k and T actually change answers.
        Blobs blobs = new Blobs(4, 6, 1.0, 1.0, 21);
        List<Row> train = blobs.rows("train", 10, 22);
        List<Row> test = blobs.rows("test", 6, 23);
        // one partition keeps the collected train order equal to the list order, which fixes ties
        Dataset<Row> trainDf = spark.createDataFrame(train, FeatureTable.SCHEMA).coalesce(1);
        Dataset<Row> testDf = Blobs.table(spark, test);
        int[][] settings = {{1, 0}, {5, 0}, {5, 1}, {17, 1}, {200, 0}};
        double[] temps = {0.07, 1.0};
        boolean someDiffer = false;
        int[] firstPreds = null;
        for (int[] s : settings) {
            KnnClassifier knn = new KnnClassifier(s[0], temps[s[1]], 4); // small blocks: several per partition
            Map<String, Integer> got = new HashMap<>();
            for (Row r : knn.predict(trainDf, testDf).collectAsList()) got.put(r.getString(0), r.getInt(2));
            assertEquals(test.size(), got.size());
            int[] preds = new int[test.size()];
            for (int i = 0; i < test.size(); i++) {
                Row r = test.get(i);
                int expected = reference(train, ((Vector) r.get(4)).toArray(), s[0], temps[s[1]]);
                preds[i] = got.get(r.getString(0));
                assertEquals(expected, preds[i], "k=" + s[0] + " T=" + temps[s[1]] + " row " + r.getString(0));
            }
            if (firstPreds == null) firstPreds = preds;
            else if (!java.util.Arrays.equals(firstPreds, preds)) someDiffer = true;
        }
        assertTrue(someDiffer, "test set too easy: k and T never changed a prediction");
    }

    /** Reference neighbours: every train row by double-precision cosine, best first, ties to the lower index. */
    private static Integer[] referenceOrder(List<Row> train, double[] q) {
        int n = train.size();
        double[] sims = new double[n];
        for (int i = 0; i < n; i++) {
            double[] x = ((Vector) train.get(i).get(4)).toArray();
            double dot = 0, nx = 0, nq = 0;
            for (int j = 0; j < x.length; j++) {
                dot += x[j] * q[j];
                nx += x[j] * x[j];
                nq += q[j] * q[j];
            }
            sims[i] = nx == 0 || nq == 0 ? 0 : dot / Math.sqrt(nx * nq);
        }
        return IntStream.range(0, n).boxed().sorted(
                Comparator.<Integer>comparingDouble(i -> -sims[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
    }

    /**
     * Train split over 5 partitions (repartitioned), test in several chunks, bank in several blocks
     * per partition: the neighbour sets and the predictions equal the brute-force reference. The
     * reference indexes the train rows in the order Spark enumerates the persisted partitions.
     */
    private void assertMatchesReference(List<Row> trainRows, List<Row> testRows, int[] ks, double[] temps,
                                        boolean orderedNeighbours) {
        Dataset<Row> trainDf = spark.createDataFrame(trainRows, FeatureTable.SCHEMA).repartition(5).persist();
        Dataset<Row> testDf = spark.createDataFrame(testRows, FeatureTable.SCHEMA).repartition(3).persist();
        try {
            assertEquals(5, trainDf.rdd().getNumPartitions());
            List<Row> train = trainDf.collectAsList();   // global index = this order
            List<Row> test = testDf.collectAsList();
            int d = ((Vector) train.get(0).get(4)).size();
            for (int k : ks) {
                List<KnnClassifier.Neighbours> got = null;
                for (double t : temps) {
                    // chunks of about 3 test rows and bank blocks of 2 rows: many of each
                    KnnClassifier knn = new KnnClassifier(k, t, 2, Math.max(4L * d * 3, 16L * k * 3), 4L * d * 2);
                    assertTrue(KnnClassifier.chunkRows(knn.chunkBytes(), d, Math.min(k, train.size())) < test.size());
                    if (got == null) got = knn.neighbours(trainDf, testDf);   // the same for every T
                    assertEquals(test.size(), got.size());
                    Map<String, Integer> preds = new HashMap<>();
                    for (Row r : knn.predict(trainDf, testDf).collectAsList()) preds.put(r.getString(0), r.getInt(2));
                    for (int i = 0; i < test.size(); i++) {
                        Row r = test.get(i);
                        double[] q = ((Vector) r.get(4)).toArray();
                        Integer[] order = referenceOrder(train, q);
                        int kk = Math.min(k, train.size());
                        long[] want = new long[kk];
                        for (int j = 0; j < kk; j++) want[j] = order[j];
                        KnnClassifier.Neighbours nb = got.get(i);
                        assertEquals(r.getString(0), nb.id());
                        long[] have = nb.indices().clone();
                        if (orderedNeighbours) {
                            assertArrayEquals(want, have, "k=" + k + " row " + r.getString(0));
                        } else {
                            long[] w = want.clone();
                            java.util.Arrays.sort(w);
                            java.util.Arrays.sort(have);
                            assertArrayEquals(w, have, "k=" + k + " row " + r.getString(0));
                        }
                        for (int j = 0; j < kk; j++) assertEquals(train.get((int) nb.indices()[j]).getInt(2), nb.labels()[j]);
                        assertEquals(reference(train, q, k, t), preds.get(r.getString(0)),
                                "k=" + k + " T=" + t + " row " + r.getString(0));
                    }
                }
            }
        } finally {
            trainDf.unpersist();
            testDf.unpersist();
        }
    }

    @Test
    void distributedSearchMatchesBruteForceOverPartitionsAndChunks() {
        Blobs blobs = new Blobs(4, 6, 1.0, 1.0, 21);
        assertMatchesReference(blobs.rows("train", 10, 22), blobs.rows("test", 6, 23),
                new int[]{1, 5, 17, 200}, new double[]{0.07, 1.0}, false);
    }

    @Test
    void exactTiesGoToTheLowerTrainIndex() {
        // Vectors whose cosines are exact in float and double (multiples of 1/4 after an exact
        // normalisation): many exact ties in similarity, and in class totals.
        double[][] atoms = {
                {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1},
                {1, 1, 1, 1}, {1, -1, 1, -1}, {2, 2, -2, -2}, {0, 0, 0, 4}, {-1, 1, 1, 1}};
        Random rnd = new Random(5);
        List<Row> train = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            train.add(Blobs.row("t" + i, "train", rnd.nextInt(4), atoms[rnd.nextInt(atoms.length)]));
        }
        for (int i = 0; i < 14; i++) test.add(Blobs.row("q" + i, "test", rnd.nextInt(4), atoms[rnd.nextInt(atoms.length)]));
        assertMatchesReference(train, test, new int[]{1, 7, 100}, new double[]{0.07, 1.0}, true);
    }

    @Test
    void evaluateCountsAndCapsK() {
        Blobs blobs = new Blobs(3, 5, 4.0, 0.5, 31);
        Dataset<Row> train = Blobs.table(spark, blobs.rows("train", 8, 32));
        Dataset<Row> test = Blobs.table(spark, blobs.rows("test", 5, 33));
        KnnScores s = new KnnClassifier(10, 0.07).evaluate(train, test);
        assertEquals(24, s.trainCount());
        assertEquals(15, s.testCount());
        assertEquals(1.0, s.top1(), 0.0);
        assertEquals(10, s.k());
        KnnScores capped = KnnClassifier.defaults().evaluate(train, test);
        assertEquals(24, capped.k());
        assertEquals(0.07, capped.temperature(), 0.0);
    }

    @Test
    void cosineIgnoresScaleAndExactCopyWinsAtKOne() {
        List<Row> train = List.of(
                Blobs.row("a", "train", 0, new double[]{1, 0, 0}),
                Blobs.row("b", "train", 1, new double[]{0, 1, 0}),
                Blobs.row("c", "train", 2, new double[]{0, 0, 1}),
                Blobs.row("d", "train", 1, new double[]{0, 0, 0}));  // zero vector: similarity 0
        List<Row> test = List.of(
                Blobs.row("q1", "test", 0, new double[]{1000, 1, 0}),
                Blobs.row("q2", "test", 1, new double[]{0, 0.001, 0}),
                Blobs.row("q3", "test", 2, new double[]{0.1, 0.2, 5}));
        Map<String, Integer> got = new HashMap<>();
        for (Row r : new KnnClassifier(1, 0.07).predict(Blobs.table(spark, train), Blobs.table(spark, test)).collectAsList()) {
            got.put(r.getString(0), r.getInt(2));
        }
        assertEquals(Map.of("q1", 0, "q2", 1, "q3", 2), got);
    }

    @Test
    void neighbourSelectionKeepsTheLargestWithLowIndexTies() {
        float[] s = {0.5f, 0.9f, 0.1f, 0.9f, -0.3f, 0.5f, 0.7f};
        int[] heap = new int[3];
        assertEquals(3, KnnClassifier.Nearest.select(s, 3, heap));
        int[] sorted = heap.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new int[]{1, 3, 6}, sorted);
        int[] four = new int[4];
        KnnClassifier.Nearest.select(s, 4, four);
        java.util.Arrays.sort(four);
        assertArrayEquals(new int[]{0, 1, 3, 6}, four, "tie 0.5 at 0 and 5: the lower index is kept");
        int[] all = new int[10];
        assertEquals(7, KnnClassifier.Nearest.select(s, 10, all));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(UserError.class, () -> new KnnClassifier(0, 0.07));
        assertThrows(UserError.class, () -> new KnnClassifier(5, 0));
        List<Row> train = new ArrayList<>(List.of(Blobs.row("a", "train", -1, new double[]{1, 0})));
        List<Row> test = List.of(Blobs.row("q", "test", 0, new double[]{1, 0}));
        UserError e = assertThrows(UserError.class,
                () -> KnnClassifier.defaults().predict(Blobs.table(spark, train), Blobs.table(spark, test)));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
        List<Row> ok = List.of(Blobs.row("a", "train", 0, new double[]{1, 0}));
        List<Row> longer = List.of(Blobs.row("q3d", "test", 0, new double[]{1, 0, 0}));
        Exception dims = assertThrows(Exception.class, () -> KnnClassifier.defaults()
                .predict(Blobs.table(spark, ok), Blobs.table(spark, longer)).collectAsList());
        assertTrue(String.valueOf(dims.getMessage()).contains("q3d"), dims.getMessage());
    }
}
