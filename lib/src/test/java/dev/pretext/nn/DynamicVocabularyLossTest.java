package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

class DynamicVocabularyLossTest {

    private static final String ENTRIES = "loss_" + DynamicVocabularyLoss.ENTRIES;
    private static final String MASSES = "loss_" + DynamicVocabularyLoss.MASSES;

    // ---------------------------------------------------------------- plain double references

    static double[] unit(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        double n = Math.sqrt(s + 1e-12);
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / n;
        }
        return u;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** |x, y| = (cos(x, y) + 1) / 2. */
    static double rescaledCos(double[] x, double[] y) {
        return (dot(unit(x), unit(y)) + 1) / 2;
    }

    /**
     * alpha * mean over weighted rows r and entries s of (|v_s, u_r| - 1) * log(1 - |v_s, û_r| + 1e-6), input rows
     * [û | u]; 0 without weighted rows.
     */
    static double reference(double[][] in, double[] weights, double[][] vocab, int k, double alpha) {
        double total = 0;
        int rows = 0;
        for (int r = 0; r < in.length; r++) {
            if (weights[r] == 0) {
                continue;
            }
            rows++;
            double[] pred = Arrays.copyOfRange(in[r], 0, k);
            double[] target = Arrays.copyOfRange(in[r], k, 2 * k);
            for (double[] v : vocab) {
                total += (rescaledCos(v, target) - 1) * Math.log(1 - rescaledCos(v, pred) + 1e-6);
            }
        }
        return rows == 0 ? 0 : alpha * total / ((double) rows * vocab.length);
    }

    /**
     * The paper's update, written directly: each weighted target t (normalised) goes to the lowest s maximising
     * cos(m_s v_s + t, t) (computed from the vector m_s v_s + t itself, not from the expanded norm the layer
     * uses); assigned entries become normalise(m_s v_s + sum of their t), unassigned ones keep their direction;
     * every mass becomes (m_s + count_s) * lambda. Updates v and m in place; returns the winners per weighted row.
     */
    static int[] referenceUpdate(double[][] v, double[] m, double[][] targets, double lambda) {
        int s = v.length;
        int k = v[0].length;
        double[][] sums = new double[s][k];
        int[] counts = new int[s];
        int[] winners = new int[targets.length];
        for (int r = 0; r < targets.length; r++) {
            double[] t = unit(targets[r]);
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < s; e++) {
                double[] x = new double[k];
                for (int c = 0; c < k; c++) {
                    x[c] = m[e] * v[e][c] + t[c];
                }
                double score = dot(x, t) / (Math.sqrt(dot(x, x)) * Math.sqrt(dot(t, t)));
                if (score > bestScore) {
                    bestScore = score;
                    best = e;
                }
            }
            winners[r] = best;
            counts[best]++;
            for (int c = 0; c < k; c++) {
                sums[best][c] += t[c];
            }
        }
        for (int e = 0; e < s; e++) {
            if (counts[e] > 0) {
                double[] x = new double[k];
                for (int c = 0; c < k; c++) {
                    x[c] = m[e] * v[e][c] + sums[e][c];
                }
                v[e] = unit(x);
            }
            m[e] = (m[e] + counts[e]) * lambda;
        }
        return winners;
    }

    // ---------------------------------------------------------------- helpers

    static double[][] randn(Random r, int n, int d) {
        double[][] z = new double[n][d];
        for (double[] row : z) {
            for (int k = 0; k < d; k++) {
                row[k] = r.nextGaussian();
            }
        }
        return z;
    }

    static double[][] unitRows(double[][] x) {
        double[][] u = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            u[i] = unit(x[i]);
        }
        return u;
    }

    static INDArray weights(double... w) {
        return Nd4j.create(w, new long[] {w.length, 1});
    }

    static ComputationGraph lossOnly(DynamicVocabularyLoss loss, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).seed(3).updater(new NoOp()).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(2L * loss.getDim()))
                .addLayer("loss", loss, "in")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** features -> dense p (predictions), dense u (targets) -> [p | u] -> vocabulary loss. */
    static ComputationGraph twoTowers(int f, int k, int size, DataType dt, boolean adamL2) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().dataType(dt).seed(12345)
                .weightInit(WeightInit.XAVIER);
        if (adamL2) {
            b.updater(new Adam(1e-2)).l2(1e-2);
        } else {
            b.updater(new NoOp());
        }
        ComputationGraphConfiguration conf = b.graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(f))
                .addLayer("p", new DenseLayer.Builder().nOut(k).activation(Activation.TANH).build(), "in")
                .addLayer("u", new DenseLayer.Builder().nOut(k).activation(Activation.TANH).build(), "in")
                .addVertex("pu", new MergeVertex(), "p", "u")
                .addLayer("loss", new DynamicVocabularyLoss(k, size, 0.9, 0.5), "pu")
                .setOutputs("loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static double[][] matrix(INDArray x) {
        return x.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    static double[] masses(ComputationGraph g) {
        return g.getParam(MASSES).castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
    }

    static void setState(ComputationGraph g, double[][] entries, double[] masses) {
        DataType dt = g.getParam(ENTRIES).dataType();
        g.setParam(ENTRIES, Nd4j.create(entries).castTo(dt));
        g.setParam(MASSES, Nd4j.create(masses, new long[] {1, masses.length}).castTo(dt));
    }

    // ---------------------------------------------------------------- the loss

    @Test
    void matchesDoubleReferenceWithAGivenVocabulary() {
        Random r = new Random(7);
        int k = 4;
        int size = 9;
        for (double alpha : new double[] {0.5, 2.0}) {
            ComputationGraph g = lossOnly(new DynamicVocabularyLoss(k, size, 0.99, alpha), DataType.DOUBLE);
            double[][] vocab = unitRows(randn(r, size, k));
            setState(g, vocab, new double[size]);
            for (double[] w : new double[][] {{1, 0, 1, 1, 0, 1}, {1, 1, 1}, {0, 0, 1, 0}}) {
                double[][] in = randn(r, w.length, 2 * k);
                double expected = reference(in, w, vocab, k, alpha);
                assertTrue(expected > 0, "the term is positive away from the targets");
                DataSet ds = new DataSet(Nd4j.create(in), weights(w));
                assertEquals(expected, g.score(ds, false), 1e-12 * expected, "alpha=" + alpha);
                // per-row losses: 0 for unweighted rows; their sum over N is the score
                double[] rows = g.scoreExamples(ds, false).toDoubleVector();
                for (int i = 0; i < w.length; i++) {
                    if (w[i] == 0) {
                        assertEquals(0.0, rows[i]);
                    }
                }
                assertEquals(expected, Arrays.stream(rows).sum() / w.length, 1e-12 * expected);
            }
        }
    }

    @Test
    void tokensPerExampleMatchTheFlatLayout() {
        // R = 3 pairs per example, [N, R 2K] and labels [N, R]: the same score, gradient (reshaped) and
        // update as the N R pairs fed as rows; N is the example count DL4J divides by.
        Random r = new Random(17);
        int k = 3;
        int size = 7;
        int tokens = 3;
        double[][] vocab = unitRows(randn(r, size, k));
        double[][] flat = randn(r, 4 * tokens, 2 * k);
        double[] w = {1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0};
        ComputationGraph one = lossOnly(new DynamicVocabularyLoss(k, size, 0.9, 0.5), DataType.DOUBLE);
        DynamicVocabularyLoss grouped = new DynamicVocabularyLoss(k, size, 0.9, 0.5).withTokens(tokens);
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(3).updater(new NoOp()).graphBuilder().addInputs("in")
                .setInputTypes(InputType.feedForward(2L * k * tokens)).addLayer("loss", grouped, "in")
                .setOutputs("loss").build());
        g.init();
        assertEquals(g.getConfiguration(), ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson()));
        for (ComputationGraph net : List.of(one, g)) {
            setState(net, vocab, new double[] {1, 2, 0.5, 1, 1, 3, 1});
        }
        INDArray in = Nd4j.create(flat);
        INDArray x = in.reshape('c', 4, 2L * k * tokens);
        INDArray l = weights(w).reshape('c', 4, tokens);
        double expected = reference(flat, w, vocab, k, 0.5);
        assertEquals(expected, g.score(new DataSet(x, l), false), 1e-12 * expected);

        one.setInput(0, in);
        one.setLabels(weights(w));
        one.computeGradientAndScore();
        g.setInput(0, x);
        g.setLabels(l);
        g.computeGradientAndScore();
        org.deeplearning4j.nn.api.Layer a = one.getLayer("loss");
        org.deeplearning4j.nn.api.Layer b = g.getLayer("loss");
        org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr
                .noWorkspaces();
        a.setInput(in, mgr);
        ((org.deeplearning4j.nn.api.layers.IOutputLayer) a).setLabels(weights(w));
        b.setInput(x, mgr);
        ((org.deeplearning4j.nn.api.layers.IOutputLayer) b).setLabels(l);
        INDArray ga = a.backpropGradient(null, mgr).getSecond();
        INDArray gb = b.backpropGradient(null, mgr).getSecond();
        // DL4J divides by the rows: 12 flat, 4 grouped; the grouped gradient of an example is its pairs' / R
        assertTrue(ga.div(12).reshape('c', 4, 2L * k * tokens).equalsWithEps(gb.div(4), 1e-12));

        double[][] v = unitRows(vocab);
        double[] m = {1, 2, 0.5, 1, 1, 3, 1};
        List<double[]> targets = new java.util.ArrayList<>();
        for (int i = 0; i < flat.length; i++) {
            if (w[i] == 1) {
                targets.add(unit(Arrays.copyOfRange(flat[i], k, 2 * k)));
            }
        }
        referenceUpdate(v, m, targets.toArray(new double[0][]), 0.9);
        setState(g, vocab, new double[] {1, 2, 0.5, 1, 1, 3, 1});     // the training calls above may have moved it
        g.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {x}, new INDArray[] {l}));
        assertArrayEquals(m, masses(g), 1e-9);
    }

    @Test
    void floatAgreesWithDouble() {
        Random r = new Random(11);
        int k = 8;
        double[][] vocab = unitRows(randn(r, 32, k));
        double[][] in = randn(r, 10, 2 * k);
        double[] w = {1, 1, 0, 1, 0, 1, 1, 1, 0, 1};
        double expected = reference(in, w, vocab, k, 0.5);
        ComputationGraph g = lossOnly(new DynamicVocabularyLoss(k, 32, 0.99, 0.5), DataType.FLOAT);
        setState(g, vocab, new double[32]);
        double got = g.score(new DataSet(Nd4j.create(in).castTo(DataType.FLOAT),
                weights(w).castTo(DataType.FLOAT)), false);
        assertEquals(expected, got, 1e-5 * expected);
    }

    @Test
    void onlyWeightedRowsCountAndNoWeightedRowGivesZero() {
        Random r = new Random(4);
        int k = 3;
        ComputationGraph g = lossOnly(new DynamicVocabularyLoss(k, 5, 0.99, 0.5), DataType.DOUBLE);
        double[][] in = randn(r, 4, 2 * k);
        INDArray w = weights(1, 0, 1, 0);
        double before = g.score(new DataSet(Nd4j.create(in), w), false);
        double[][] changed = Arrays.stream(in).map(double[]::clone).toArray(double[][]::new);
        changed[1] = randn(r, 1, 2 * k)[0];
        changed[3] = randn(r, 1, 2 * k)[0];
        assertEquals(before, g.score(new DataSet(Nd4j.create(changed), w), false), 1e-15);
        // the score is a mean over weighted rows: one weighted row alone scores its own term, not a quarter
        double first = g.score(new DataSet(Nd4j.create(in), weights(1, 0, 0, 0)), false);
        double third = g.score(new DataSet(Nd4j.create(in), weights(0, 0, 1, 0)), false);
        assertEquals((first + third) / 2, before, 1e-14);

        DynamicVocabularyLoss conf = new DynamicVocabularyLoss(k, 5, 0.99, 0.5);
        Map<String, INDArray> state = stateOf(g);
        HandWrittenLoss.Evaluation none = conf.evaluate(Nd4j.create(in), weights(0, 0, 0, 0), state, true);
        assertEquals(0.0, none.sum());
        assertEquals(0.0, none.inputGradient().amaxNumber().doubleValue());
        assertArrayEquals(new long[] {4, 2 * k}, none.inputGradient().shape());
        assertEquals(0.0, g.score(new DataSet(Nd4j.create(in), weights(0, 0, 0, 0)), false));
    }

    static Map<String, INDArray> stateOf(ComputationGraph g) {
        Map<String, INDArray> state = new HashMap<>();
        state.put(DynamicVocabularyLoss.ENTRIES, g.getParam(ENTRIES).dup());
        state.put(DynamicVocabularyLoss.MASSES, g.getParam(MASSES).dup());
        return state;
    }

    @Test
    void inputGradientMatchesFiniteDifferencesOfTheReferenceAndIgnoresTargets() {
        Random r = new Random(21);
        int k = 3;
        int size = 6;
        double alpha = 0.7;
        DynamicVocabularyLoss conf = new DynamicVocabularyLoss(k, size, 0.99, alpha);
        double[][] vocab = unitRows(randn(r, size, k));
        Map<String, INDArray> state = new HashMap<>();
        state.put(DynamicVocabularyLoss.ENTRIES, Nd4j.create(vocab));
        state.put(DynamicVocabularyLoss.MASSES, Nd4j.ones(DataType.DOUBLE, 1, size));
        double[][] in = randn(r, 5, 2 * k);
        double[] w = {1, 0, 1, 1, 0};
        int n = in.length;
        HandWrittenLoss.Evaluation ev = conf.evaluate(Nd4j.create(in), weights(w), state, true);
        // the layer returns the SUM of its row losses (DL4J divides by N): N x the mean
        assertEquals(n * reference(in, w, vocab, k, alpha), ev.sum(), 1e-12);
        double[][] grad = matrix(ev.inputGradient());
        double h = 1e-6;
        for (int row = 0; row < n; row++) {
            for (int c = 0; c < 2 * k; c++) {
                double[][] plus = Arrays.stream(in).map(double[]::clone).toArray(double[][]::new);
                double[][] minus = Arrays.stream(in).map(double[]::clone).toArray(double[][]::new);
                plus[row][c] += h;
                minus[row][c] -= h;
                double fd = n * (reference(plus, w, vocab, k, alpha) - reference(minus, w, vocab, k, alpha)) / (2 * h);
                if (c >= k || w[row] == 0) {
                    // targets are constants and unweighted rows do not count: exactly zero, not just small
                    assertEquals(0.0, grad[row][c], "row " + row + " col " + c);
                } else {
                    assertEquals(fd, grad[row][c], 1e-7 * Math.max(1, Math.abs(fd)), "row " + row + " col " + c);
                    assertTrue(Math.abs(grad[row][c]) > 1e-6, "a weighted prediction gets a gradient");
                }
            }
        }
        // evaluating leaves the state alone
        assertEquals(Nd4j.create(vocab), state.get(DynamicVocabularyLoss.ENTRIES));
        assertEquals(Nd4j.ones(DataType.DOUBLE, 1, size), state.get(DynamicVocabularyLoss.MASSES));
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraph g = twoTowers(5, 4, 7, DataType.DOUBLE, false);
            HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
            // The check's one backprop must not advance the vocabulary; the vocabulary and the target tower are
            // excluded because the score depends on them while their gradient is zero by design.
            layer.setStateFrozen(true);
            INDArray entriesBefore = g.getParam(ENTRIES).dup();
            INDArray massesBefore = g.getParam(MASSES).dup();
            Random r = new Random(5);
            INDArray x = Nd4j.create(randn(r, 6, 5));
            INDArray w = weights(1, 1, 0, 1, 0, 1);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {w})
                    .excludeParams(Set.of(ENTRIES, MASSES, "u_W", "u_b"))
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
            assertTrue(ok, "gradient check failed");
            assertEquals(entriesBefore, g.getParam(ENTRIES));
            assertEquals(massesBefore, g.getParam(MASSES));
            // the target tower and the vocabulary get exactly zero gradient; the prediction tower does not
            g.setInputs(x);
            g.setLabels(w);
            g.computeGradientAndScore();
            assertEquals(0.0, g.gradient().getGradientFor("u_W").amaxNumber().doubleValue());
            assertEquals(0.0, g.gradient().getGradientFor("u_b").amaxNumber().doubleValue());
            assertEquals(0.0, g.gradient().getGradientFor(ENTRIES).amaxNumber().doubleValue());
            assertEquals(0.0, g.gradient().getGradientFor(MASSES).amaxNumber().doubleValue());
            assertTrue(g.gradient().getGradientFor("p_W").amaxNumber().doubleValue() > 0);
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    // ---------------------------------------------------------------- the vocabulary update

    @Test
    void initialVocabularyHoldsSeededUnitRowsAndUnitMasses() {
        ComputationGraph g = lossOnly(new DynamicVocabularyLoss(6, 40, 0.99, 0.5), DataType.DOUBLE);
        INDArray entries = g.getParam(ENTRIES);
        assertArrayEquals(new long[] {40, 6}, entries.shape());
        assertTrue(entries.norm2(1).sub(1.0).amaxNumber().doubleValue() < 1e-9);
        assertArrayEquals(new long[] {1, 40}, g.getParam(MASSES).shape());
        for (double m : masses(g)) {
            assertEquals(1.0, m);
        }
        // random directions, not one repeated vector
        assertTrue(entries.getRow(0).sub(entries.getRow(1)).norm2Number().doubleValue() > 1e-3);
        // seeded: the same configuration gives the same vocabulary
        assertEquals(entries, lossOnly(new DynamicVocabularyLoss(6, 40, 0.99, 0.5), DataType.DOUBLE).getParam(ENTRIES));
        DynamicVocabularyLoss defaults = new DynamicVocabularyLoss(128);
        assertEquals(16384, defaults.getSize());
        assertEquals(0.99, defaults.getLambda());
        assertEquals(0.5, defaults.getAlpha());
    }

    /**
     * S = 3, K = 2, lambda = 0.9. Entries v0 = (1, 0) mass 4 (heavy), v1 = (0, 1) mass 1, v2 = (0.6, -0.8) mass
     * 0.25 (light). With |v| = |t| = 1, cos(m v + t, t) = (m d + 1) / sqrt(m^2 + 2 m d + 1), d = v . t.
     * <pre>
     * row  u (raw)   t = u/|u|             d0      d1      d2      score s0  score s1  score s2  winner
     *  0   (3, 4)    (0.6, 0.8)            0.6     0.8    -0.28    0.728200  0.948683  0.968277  2
     *  1   (12, -5)  (12/13, -5/13)        0.9231 -0.3846  0.8615  0.950230  0.554700  0.994591  2
     *  2   (6, 1)    (6, 1)/sqrt(37)       0.9864  0.1644  0.4603  0.991275  0.763020  0.980762  0
     *  3   (0, 1)    weight 0: ignored     (it would pick s1: 0.242536 1.0 0.982872)
     * </pre>
     * Row 0 is closest to v1 by plain cosine (0.8) but goes to the light v2 (cosine -0.28).
     * v0 = normalise(4 (1, 0) + (6, 1)/sqrt(37)) = normalise(4.986394, 0.164399) = (0.99945695, 0.03295161);
     * v1 unassigned keeps (0, 1); v2 = normalise(0.25 (0.6, -0.8) + (0.6, 0.8) + (12/13, -5/13))
     * = normalise(1.673077, 0.215385) = (0.99181516, 0.12768195).
     * Masses: (4 + 1) 0.9 = 4.5, (1 + 0) 0.9 = 0.9 (decays), (0.25 + 2) 0.9 = 2.025.
     */
    @Test
    void updateMatchesAHandWorkedExample() {
        ComputationGraph g = lossOnly(new DynamicVocabularyLoss(2, 3, 0.9, 0.5), DataType.DOUBLE);
        double[][] entries = {{1, 0}, {0, 1}, {0.6, -0.8}};
        setState(g, entries, new double[] {4, 1, 0.25});
        // [û | u]; the predictions play no part in the update
        INDArray in = Nd4j.create(new double[][] {
            {0.3, -1.0, 3, 4},
            {2.0, 0.5, 12, -5},
            {-1.0, 0.2, 6, 1},
            {0.7, 0.7, 0, 1}});
        DataSet ds = new DataSet(in, weights(1, 1, 1, 0));
        double scoreBefore = g.score(ds, false);
        g.fit(ds);
        // the reported training score is the loss against the vocabulary at the start of the step
        assertEquals(scoreBefore, g.score(), 1e-14);
        assertEquals(reference(matrix(in), new double[] {1, 1, 1, 0}, entries, 2, 0.5), scoreBefore, 1e-12);

        double[] m = masses(g);
        assertEquals(4.5, m[0], 1e-14);
        assertEquals(0.9, m[1], 1e-14);
        assertEquals(2.025, m[2], 1e-14);
        double[][] v = matrix(g.getParam(ENTRIES));
        assertArrayEquals(new double[] {0.99945695, 0.03295161}, v[0], 1e-8);
        assertArrayEquals(new double[] {0, 1}, v[1], 0.0); // unassigned: its direction stays exactly
        assertArrayEquals(new double[] {0.99181516, 0.12768195}, v[2], 1e-8);

        // the plain-Java reference (which computes |m v + t| directly) agrees, and names the same winners
        double[][] refV = entries.clone();
        double[] refM = {4, 1, 0.25};
        int[] winners = referenceUpdate(refV, refM, new double[][] {{3, 4}, {12, -5}, {6, 1}}, 0.9);
        assertArrayEquals(new int[] {2, 2, 0}, winners);
        for (int s = 0; s < 3; s++) {
            assertArrayEquals(refV[s], v[s], 1e-12);
        }
        assertArrayEquals(refM, m, 1e-14);
    }

    @Test
    void aLightEntryWinsOverAHeavyAlignedOne() {
        // v0 = (1, 0) mass 10 is 20 degrees from the target (cos 0.940); v1 = (0, 1) mass 0.1 is 70 degrees away
        // (cos 0.342). cos(10 v0 + t, t) = 0.949921 < cos(0.1 v1 + t, t) = 0.995897: the light entry takes it.
        double a = Math.PI / 9;
        DynamicVocabularyLoss conf = new DynamicVocabularyLoss(2, 2, 0.99, 0.5);
        Map<String, INDArray> state = new HashMap<>();
        state.put(DynamicVocabularyLoss.ENTRIES, Nd4j.create(new double[][] {{1, 0}, {0, 1}}));
        state.put(DynamicVocabularyLoss.MASSES, Nd4j.create(new double[] {10, 0.1}, new long[] {1, 2}));
        conf.advanceState(Nd4j.create(new double[][] {{0, 0, Math.cos(a), Math.sin(a)}}), weights(1), state);
        INDArray v = state.get(DynamicVocabularyLoss.ENTRIES);
        assertArrayEquals(new double[] {1, 0}, v.getRow(0).toDoubleVector(), 0.0, "the heavy entry is not assigned");
        assertNotEquals(0.0, v.getDouble(1, 0), "the light entry moved towards the target");
        double[] expected = unit(new double[] {Math.cos(a), 0.1 + Math.sin(a)});
        assertArrayEquals(expected, v.getRow(1).toDoubleVector(), 1e-12);
        assertArrayEquals(new double[] {10 * 0.99, 1.1 * 0.99},
                state.get(DynamicVocabularyLoss.MASSES).reshape(-1).toDoubleVector(), 1e-12);
    }

    @Test
    void tiesGoToTheLowestIndexAndAStepWithoutWeightedRowsOnlyDecays() {
        DynamicVocabularyLoss conf = new DynamicVocabularyLoss(2, 3, 0.5, 0.5);
        Map<String, INDArray> state = new HashMap<>();
        double[][] entries = {{0, 1}, {0.6, 0.8}, {0.6, 0.8}};
        state.put(DynamicVocabularyLoss.ENTRIES, Nd4j.create(entries));
        state.put(DynamicVocabularyLoss.MASSES, Nd4j.create(new double[] {1, 2, 2}, new long[] {1, 3}));
        // entries 1 and 2 are identical: target (1, 0) scores them exactly equally and must pick entry 1
        conf.advanceState(Nd4j.create(new double[][] {{0, 0, 1, 0}}), weights(1), state);
        double[][] v = matrix(state.get(DynamicVocabularyLoss.ENTRIES));
        assertArrayEquals(unit(new double[] {1 + 2 * 0.6, 2 * 0.8}), v[1], 1e-12);
        assertArrayEquals(new double[] {0.6, 0.8}, v[2], 0.0);
        assertArrayEquals(new double[] {0.5, 1.5, 1.0},
                state.get(DynamicVocabularyLoss.MASSES).reshape(-1).toDoubleVector(), 1e-15);
        // no weighted row: directions stay, every mass decays once
        conf.advanceState(Nd4j.create(new double[][] {{0, 0, 1, 0}}), weights(0), state);
        assertArrayEquals(v[1], matrix(state.get(DynamicVocabularyLoss.ENTRIES))[1], 0.0);
        assertArrayEquals(new double[] {0.25, 0.75, 0.5},
                state.get(DynamicVocabularyLoss.MASSES).reshape(-1).toDoubleVector(), 1e-15);
    }

    @Test
    void trainingStepsFollowTheReferenceUpdateAndOtherCallsLeaveTheVocabulary() {
        int f = 5;
        int k = 3;
        int size = 6;
        ComputationGraph g = twoTowers(f, k, size, DataType.DOUBLE, true); // Adam + L2: still never trained
        HandWrittenLossLayer layer = (HandWrittenLossLayer) g.getLayer("loss");
        double[][] refV = matrix(g.getParam(ENTRIES));
        double[] refM = masses(g);
        Random r = new Random(9);
        double[] w = {1, 0, 1, 1, 1, 0, 1, 1};
        boolean someEntryTookTwo = false;
        for (int step = 0; step < 5; step++) {
            DataSet ds = new DataSet(Nd4j.create(randn(r, w.length, f)), weights(w));
            double[][] targets = matrix(g.feedForward(ds.getFeatures(), false).get("u"));
            INDArray entriesBefore = g.getParam(ENTRIES).dup();
            INDArray massesBefore = g.getParam(MASSES).dup();
            double scoreBefore = g.score(ds, false);
            // score-only, per-example and inference calls never advance the vocabulary
            g.score(ds, true);
            g.scoreExamples(ds, true);
            g.output(ds.getFeatures());
            assertEquals(entriesBefore, g.getParam(ENTRIES));
            assertEquals(massesBefore, g.getParam(MASSES));
            // nor does a frozen layer's training step
            if (step == 2) {
                layer.setStateFrozen(true);
                g.fit(ds);
                assertEquals(entriesBefore, g.getParam(ENTRIES));
                assertEquals(massesBefore, g.getParam(MASSES));
                layer.setStateFrozen(false);
                targets = matrix(g.feedForward(ds.getFeatures(), false).get("u")); // the towers moved
                scoreBefore = g.score(ds, false);
            }
            g.fit(ds);
            assertEquals(scoreBefore, g.score(), 1e-12, "the training score belongs to the old vocabulary");
            double[][] stepTargets = targets;
            double[][] weighted = java.util.stream.IntStream.range(0, w.length).filter(i -> w[i] == 1)
                    .mapToObj(i -> stepTargets[i]).toArray(double[][]::new);
            int[] winners = referenceUpdate(refV, refM, weighted, 0.9);
            someEntryTookTwo |= Arrays.stream(winners).distinct().count() < winners.length;
            double[][] v = matrix(g.getParam(ENTRIES));
            for (int s = 0; s < size; s++) {
                assertArrayEquals(refV[s], v[s], 1e-12, "step " + step + " entry " + s);
            }
            assertArrayEquals(refM, masses(g), 1e-12, "step " + step);
        }
        assertTrue(someEntryTookTwo, "the steps exercised an entry receiving several targets");
        double totalMass = Arrays.stream(masses(g)).sum();
        assertTrue(totalMass > size, "masses grew with the assignments: " + totalMass);
        assertTrue(g.getParam(ENTRIES).norm2(1).sub(1.0).amaxNumber().doubleValue() < 1e-12);
    }

    @Test
    void jsonAndModelSerializerRoundTripKeepTheVocabularyBitExact(@TempDir Path dir) throws Exception {
        ComputationGraph g = twoTowers(5, 4, 12, DataType.FLOAT, true);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertEquals(g.getConfiguration(), back);
        DynamicVocabularyLoss layer = (DynamicVocabularyLoss) ((LayerVertex) back.getVertices().get("loss"))
                .getLayerConf().getLayer();
        assertEquals(4, layer.getDim());
        assertEquals(12, layer.getSize());
        assertEquals(0.9, layer.getLambda());
        assertEquals(0.5, layer.getAlpha());

        Random r = new Random(2);
        INDArray initial = g.getParam(ENTRIES).dup();
        for (int step = 0; step < 3; step++) {
            g.fit(new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT),
                    weights(1, 1, 0, 1, 1, 1).castTo(DataType.FLOAT)));
        }
        assertNotEquals(initial, g.getParam(ENTRIES), "training moved the vocabulary");
        assertTrue(Arrays.stream(masses(g)).anyMatch(m -> Math.abs(m - 1) > 0.05), "training moved the masses");
        File file = dir.resolve("vocab.zip").toFile();
        ModelSerializer.writeModel(g, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(0.0, g.getParam(ENTRIES).sub(restored.getParam(ENTRIES)).amaxNumber().doubleValue());
        assertEquals(0.0, g.getParam(MASSES).sub(restored.getParam(MASSES)).amaxNumber().doubleValue());
        assertEquals(0.0, g.params().sub(restored.params()).amaxNumber().doubleValue());
        // training resumes identically
        DataSet next = new DataSet(Nd4j.create(randn(r, 6, 5)).castTo(DataType.FLOAT),
                weights(1, 0, 1, 1, 0, 1).castTo(DataType.FLOAT));
        g.fit(next);
        restored.fit(next);
        assertEquals(g.params(), restored.params());
    }

    // ---------------------------------------------------------------- rejections

    @Test
    void badSettingsAndBatchesAreRejectedClearly() {
        assertThrows(IllegalArgumentException.class, () -> new DynamicVocabularyLoss(0));
        assertThrows(IllegalArgumentException.class, () -> new DynamicVocabularyLoss(4, 0, 0.99, 0.5));
        for (double lambda : new double[] {0, -0.5, 1.01, Double.NaN}) {
            assertThrows(IllegalArgumentException.class, () -> new DynamicVocabularyLoss(4, 8, lambda, 0.5),
                    "lambda " + lambda);
        }
        for (double alpha : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> new DynamicVocabularyLoss(4, 8, 0.99, alpha),
                    "alpha " + alpha);
        }
        // the graph's input width must be 2K
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NeuralNetConfiguration.Builder().graphBuilder()
                        .addInputs("in").setInputTypes(InputType.feedForward(5))
                        .addLayer("loss", new DynamicVocabularyLoss(3), "in").setOutputs("loss").build());
        assertTrue(e.getMessage().contains("[N, 6]"), e.getMessage());

        DynamicVocabularyLoss conf = new DynamicVocabularyLoss(3, 4, 0.99, 0.5);
        ComputationGraph g = lossOnly(conf, DataType.DOUBLE);
        Map<String, INDArray> state = stateOf(g);
        Random r = new Random(1);
        INDArray good = Nd4j.create(randn(r, 4, 6));
        e = assertThrows(IllegalArgumentException.class,
                () -> conf.evaluate(Nd4j.create(randn(r, 4, 5)), weights(1, 1, 1, 1), state, false));
        assertTrue(e.getMessage().contains("[N, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(good, weights(1, 0, 2, 1)), false));
        assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("0 or 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.score(new DataSet(good, weights(1, 0.5, 1, 1)), false));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conf.evaluate(good, weights(1, 0, 1), state, false));
        assertTrue(e.getMessage().contains("[4, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conf.evaluate(good, null, state, false));
        assertThrows(IllegalArgumentException.class, () -> conf.advanceState(good, weights(1, 0, 3, 1), state));
        // a rejected update leaves the state as it was
        assertEquals(g.getParam(ENTRIES), state.get(DynamicVocabularyLoss.ENTRIES));
    }

    @Test
    void parameterAveragingOverSeveralWorkersIsRefused() {
        assertEquals(Optional.empty(), DynamicVocabularyLoss.refusal("dv2", "paramavg", 1));
        assertEquals(Optional.empty(), DynamicVocabularyLoss.refusal("dv2", "shared", 2));
        Optional<String> refused = DynamicVocabularyLoss.refusal("dv2", "paramavg", 3);
        assertTrue(refused.isPresent());
        assertTrue(refused.get().contains("dv2") && refused.get().contains("train.workers = 1")
                && refused.get().contains("3 workers"), refused.get());
    }
}
