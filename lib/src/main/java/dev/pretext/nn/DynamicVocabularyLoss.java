package dev.pretext.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DV2's dynamic vocabulary (METHODS.md, DV2; the paper's section 3.5) and its loss term, as a
 * {@link HandWrittenLoss} output layer. One instance is one vocabulary: DV2 uses one for patches and one for
 * images, each with its own weight (alpha_vp, alpha_vi).
 *
 * <p><b>Input</b> [N, 2K] = [û | u]: predictions û in the first K columns, targets u in the last K (a
 * MergeVertex of the prediction and the target projection), K the projection width (128 in the paper).
 * <b>Labels</b> [N, 1]: a weight per row, exactly 0 or 1; only rows of weight 1 take part (e.g. only the
 * masked patch positions), in the loss and in the update. A batch of another width, labels of another length
 * or a weight other than 0 and 1 is rejected with an {@link IllegalArgumentException}; a batch with no
 * weighted row is valid and has loss 0 and a zero gradient.
 *
 * <p><b>Loss.</b> With {@code |x, y| = (cos(x, y) + 1) / 2} (cosines of {@code x / sqrt(|x|^2 + 1e-12)},
 * the norm style of the other losses), over the R weighted rows r and the S entries v_s:
 * <pre>
 *   L = alpha * mean_{r, s} (|v_s, u_r| - 1) * log(1 - |v_s, û_r| + 1e-6)
 * </pre>
 * The paper writes a raw sum over targets and entries, "scaled according to number of prediction vectors";
 * we take the mean over rows AND entries so that alpha keeps its scale for any S and any number of masked
 * positions. L >= 0 (up to the 1e-6); it pushes each prediction away from every entry, the harder the less
 * that entry resembles the target (an entry equal to the target exerts no push). The gradient flows into û
 * only: u is a constant here (its half of the input gradient is exactly zero), and so is the vocabulary
 * (its parameters' gradient is exactly zero, see {@link HandWrittenLoss}). The loss of a training step uses
 * the vocabulary as it was at the start of that step. Following {@link HandWrittenLoss}, the layer returns a
 * sum over the N rows that DL4J divides by N: row r's loss is {@code (N / R) * alpha * mean_s(...)} for a
 * weighted row and 0 otherwise, so the reported score is L (a per-example score is N / R times the row's
 * own mean).
 *
 * <p><b>State</b> (layer parameters, never trained, see {@link HandWrittenLoss}):
 * <ul>
 *   <li>{@value #ENTRIES} [S, K]: unit rows v_s, initialised with random unit vectors from the network's
 *       seeded RNG ({@code Nd4j.getRandom()}, as {@link MocoQueueLoss}'s queue); re-normalised when used;
 *   <li>{@value #MASSES} [1, S]: the masses m_s, initialised to 1.
 * </ul>
 * <b>Update</b>, in a training backprop only (not in score-only or inference calls, not while the layer is
 * frozen), after the step's gradient was computed with the old vocabulary. Every weighted target is
 * L2-normalised (t_r = u_r / sqrt(|u_r|^2 + 1e-12)) and picks, against the vocabulary at the start of the
 * step, {@code s_r = argmax_s cos(m_s v_s + t_r, t_r)}, ties to the lowest index. With |v_s| = 1 that is
 * {@code (m_s v_s.t_r + |t_r|^2) / (sqrt(m_s^2 + 2 m_s v_s.t_r + |t_r|^2) |t_r|)}, one matrix product for all
 * pairs; it favours light entries (a small m_s lets t_r dominate the sum, so the cosine is near 1 whatever
 * the entry's direction), which keeps clusters balanced. Then each entry that got targets becomes
 * {@code v_s = normalise(m_s v_s + sum of its t_r)}; an entry that got none keeps its stored direction
 * exactly; and EVERY mass becomes {@code m_s = (m_s + count_s) * lambda} (unassigned entries decay, count 0,
 * also in a step without weighted rows), so an entry left alone long enough becomes light and is reassigned.
 *
 * <p><b>Trainers</b> ({@link #refusal}). The vocabulary is per-step state that the layer changes itself:
 * <ul>
 *   <li>{@code paramavg}: a method with a vocabulary must train with ONE worker. Averaging the vocabularies
 *       of several workers is meaningless (the mean of unit entries that absorbed different targets is not an
 *       entry, and masses averaged across workers count no one's assignments). With one worker the round's
 *       worker starts from the driver's vocabulary and its result comes back unchanged, so checkpoints and
 *       resumes carry it (as for {@link MocoQueueLoss}'s queue).
 *   <li>{@code shared} (gradient sharing): not refused here. Each worker's network keeps and updates its own
 *       vocabulary from its own targets (the update is a local parameter change with a zero gradient, so
 *       nothing is encoded, shared or averaged). As STACK.md reads DL4J's shared trainer, such non-gradient
 *       changes never reach the driver: the driver's copy, which is checkpointed and evaluated, keeps the
 *       vocabulary the run started with, and a resume starts the workers from that copy again. (MoCo v2 never
 *       meets this case for its queue: it is refused under {@code shared} for its EMA step hook.)
 * </ul>
 */
public class DynamicVocabularyLoss extends HandWrittenLoss {

    public static final String ENTRIES = "entries";
    public static final String MASSES = "masses";
    public static final int DEFAULT_DIM = 128;
    public static final int DEFAULT_SIZE = 16384;
    public static final double DEFAULT_LAMBDA = 0.99;
    public static final double DEFAULT_ALPHA = 0.5;
    /** Added inside log(1 - |v, û| + LOG_EPS), which would be -inf for a prediction equal to an entry. */
    public static final double LOG_EPS = 1e-6;

    private static final double NORM_EPS = 1e-12;
    /** Rows evaluated per block: bounds the [rows, S] temporaries (S = 16384 in the paper). */
    private static final int BLOCK = 256;

    private int dim = DEFAULT_DIM;
    private int size = DEFAULT_SIZE;
    private double lambda = DEFAULT_LAMBDA;
    private double alpha = DEFAULT_ALPHA;
    private int tokens = 1;

    /** For JSON deserialisation. */
    public DynamicVocabularyLoss() {
    }

    /** K = {@code dim}, with the paper's S = 16384, lambda = 0.99 and alpha = 0.5. */
    public DynamicVocabularyLoss(int dim) {
        this(dim, DEFAULT_SIZE, DEFAULT_LAMBDA, DEFAULT_ALPHA);
    }

    /**
     * @param dim    K, the width of a prediction and of a target (the input is [N, 2K])
     * @param size   S, the number of entries
     * @param lambda the mass decay per training step, in (0, 1]
     * @param alpha  the weight of the term, positive and finite
     */
    public DynamicVocabularyLoss(int dim, int size, double lambda, double alpha) {
        if (dim < 1) {
            throw new IllegalArgumentException("dynamic vocabulary width K must be >= 1, got " + dim);
        }
        if (size < 1) {
            throw new IllegalArgumentException("dynamic vocabulary size S must be >= 1, got " + size);
        }
        if (!(lambda > 0 && lambda <= 1)) {
            throw new IllegalArgumentException("dynamic vocabulary mass decay lambda must be in (0, 1], got " + lambda);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("dynamic vocabulary loss weight alpha must be a positive finite number,"
                    + " got " + alpha);
        }
        this.dim = dim;
        this.size = size;
        this.lambda = lambda;
        this.alpha = alpha;
        this.nIn = 2L * dim;
        this.nOut = 2L * dim;
    }

    /**
     * R pairs per example: the input is [N, R 2K] (pair t of example n at columns t 2K .. t 2K + 2K - 1)
     * and the labels [N, R], read as N R rows [2K] and weights. A graph's output layers must all have
     * the same rows (DL4J divides every gradient by the first output's label rows, each score by its
     * own), so DV2 gives its patch vocabulary the M patches of an image as one example.
     */
    public DynamicVocabularyLoss withTokens(int tokens) {
        setTokens(tokens);
        this.nIn = 2L * dim * tokens;
        this.nOut = nIn;
        return this;
    }

    public int getTokens() {
        return tokens;
    }

    public void setTokens(int tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException("dynamic vocabulary pairs per example R must be >= 1, got " + tokens);
        }
        this.tokens = tokens;
    }

    public int getDim() {
        return dim;
    }

    public int getSize() {
        return size;
    }

    public double getLambda() {
        return lambda;
    }

    public double getAlpha() {
        return alpha;
    }

    /**
     * Why a method holding dynamic vocabularies cannot train under {@code trainer} with {@code workers}
     * workers; empty when it can (see the class comment, "Trainers"): {@code paramavg} with more than one
     * worker is refused, {@code shared} is not (each worker keeps its own vocabulary).
     */
    public static Optional<String> refusal(String method, String trainer, int workers) {
        if (trainer.equals("paramavg") && workers > 1) {
            return Optional.of("method " + method + " keeps dynamic vocabularies (entries and masses that each worker"
                    + " updates from its own targets) that parameter averaging would average across the " + workers
                    + " workers, which means nothing: use train.workers = 1");
        }
        return Optional.empty();
    }

    @Override
    protected void validateInputWidth(long n) {
        if (n != 2L * dim * tokens) {
            throw new IllegalArgumentException("DynamicVocabularyLoss (layer " + layerName + ") with K = " + dim
                    + " and R = " + tokens + " expects input [N, R 2K] = [N, " + (2L * dim * tokens)
                    + "] ([predictions | targets] per pair), got width " + n);
        }
    }

    @Override
    public LinkedHashMap<String, long[]> stateShapes() {
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        m.put(ENTRIES, new long[] {size, dim});
        m.put(MASSES, new long[] {1, size});
        return m;
    }

    @Override
    public void initState(Map<String, INDArray> state) {
        state.get(ENTRIES).assign(normaliseRows(Nd4j.randn(DataType.DOUBLE, size, dim)));
        state.get(MASSES).assign(1.0);
    }

    static INDArray rowNorms(INDArray x) {
        return Transforms.sqrt(x.mul(x).sum(true, 1).addi(NORM_EPS), false);
    }

    static INDArray normaliseRows(INDArray x) {
        return x.divColumnVector(rowNorms(x));
    }

    /** Checks the batch and returns the indices of its weighted rows, in order. */
    private int[] weightedRows(INDArray input, INDArray labels) {
        String name = "DynamicVocabularyLoss (layer " + layerName + ")";
        if (input.rank() != 2 || input.size(1) != 2L * dim) {
            throw new IllegalArgumentException(name + ": expected input [N, " + (2L * dim)
                    + "] = [predictions | targets], got " + Arrays.toString(input.shape()));
        }
        long n = input.size(0);
        if (labels == null || labels.length() != n || (labels.rank() == 2 && labels.size(1) != 1)) {
            throw new IllegalArgumentException(name + ": expected labels [" + n + ", 1] holding a weight 0 or 1 per"
                    + " row, got " + (labels == null ? "none" : Arrays.toString(labels.shape())));
        }
        double[] w = labels.reshape(n).castTo(DataType.DOUBLE).toDoubleVector();
        int count = 0;
        for (int r = 0; r < n; r++) {
            if (w[r] == 1) {
                count++;
            } else if (w[r] != 0) {
                throw new IllegalArgumentException(name + ": row " + r + " has weight " + w[r]
                        + "; weights must be 0 or 1 (1 = the row is a prediction/target pair that counts)");
            }
        }
        int[] rows = new int[count];
        for (int r = 0, i = 0; r < n; r++) {
            if (w[r] == 1) {
                rows[i++] = r;
            }
        }
        return rows;
    }

    /** [N, R 2K] as [N R, 2K] and labels [N, R] as [N R, 1] (R = 1: as they are). */
    private INDArray[] pairs(INDArray input, INDArray labels) {
        if (tokens == 1) {
            return new INDArray[] {input, labels};
        }
        if (input.rank() != 2 || input.size(1) != 2L * dim * tokens || labels == null || labels.rank() != 2
                || labels.size(0) != input.size(0) || labels.size(1) != tokens) {
            throw new IllegalArgumentException("DynamicVocabularyLoss (layer " + layerName + "): expected input [N, "
                    + (2L * dim * tokens) + "] and labels [N, " + tokens + "], got "
                    + Arrays.toString(input.shape()) + " and " + (labels == null ? "none"
                    : Arrays.toString(labels.shape())));
        }
        return new INDArray[] {input.dup('c').reshape('c', input.size(0) * tokens, 2L * dim),
                labels.dup('c').reshape('c', labels.size(0) * tokens, 1)};
    }

    @Override
    public Evaluation evaluate(INDArray input, INDArray labels, Map<String, INDArray> state, boolean withGradient) {
        if (tokens == 1) {
            return evaluatePairs(input, labels, state, withGradient);
        }
        INDArray[] p = pairs(input, labels);
        Evaluation e = evaluatePairs(p[0], p[1], state, withGradient);
        // the pairs' sum is (N R) x the mean; the example's row is the sum of its pairs' / R: N x the mean
        int n = (int) input.size(0);
        double[] rowLosses = new double[n];
        for (int r = 0; r < e.rowLosses().length; r++) {
            rowLosses[r / tokens] += e.rowLosses()[r] / tokens;
        }
        INDArray grad = withGradient ? e.inputGradient().div(tokens).reshape('c', n, 2L * dim * tokens) : null;
        return new Evaluation(rowLosses, grad);
    }

    private Evaluation evaluatePairs(INDArray input, INDArray labels, Map<String, INDArray> state,
                                     boolean withGradient) {
        int[] rows = weightedRows(input, labels);
        long n = input.size(0);
        DataType dt = input.dataType();
        double[] rowLosses = new double[(int) n];
        INDArray grad = withGradient ? Nd4j.zeros(dt, n, 2L * dim) : null;
        if (rows.length == 0) {
            return new Evaluation(rowLosses, grad);
        }
        INDArray vocab = normaliseRows(state.get(ENTRIES).castTo(dt));                 // [S, K]
        INDArray vocabT = vocab.transpose();
        // row loss = (N / R) * alpha * mean_s(...): DL4J divides the sum by N
        double scale = alpha * n / ((double) rows.length * size);
        for (int from = 0; from < rows.length; from += BLOCK) {
            int[] block = Arrays.copyOfRange(rows, from, Math.min(from + BLOCK, rows.length));
            INDArray x = input.getRows(block);                                          // [b, 2K]
            INDArray p = x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim));
            INDArray pNorm = rowNorms(p);
            INDArray pHat = p.divColumnVector(pNorm);
            INDArray tHat = normaliseRows(x.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2L * dim)));
            // 1 - |v, u| and 1 - |v, û| + eps, [b, S]
            INDArray oneMinusA = tHat.mmul(vocabT).addi(1).muli(0.5).rsubi(1);
            INDArray oneMinusB = pHat.mmul(vocabT).addi(1).muli(0.5).rsubi(1).addi(LOG_EPS);
            // (a - 1) log(1 - b + eps) = -(1 - a) log(1 - b + eps)
            INDArray terms = oneMinusA.mul(Transforms.log(oneMinusB, true));
            double[] sums = terms.sum(1).castTo(DataType.DOUBLE).toDoubleVector();
            for (int i = 0; i < block.length; i++) {
                rowLosses[block[i]] = -scale * sums[i];
            }
            if (withGradient) {
                // dL/dû^ = scale * sum_s (1 - a_s) / (1 - b_s + eps) * v_s / 2
                INDArray gHat = oneMinusA.divi(oneMinusB).muli(0.5 * scale).mmul(vocab);   // [b, K]
                // through û^ = û / |û|: (g - û^ (û^ . g)) / |û|
                INDArray gp = gHat.sub(pHat.mulColumnVector(pHat.mul(gHat).sum(true, 1))).divColumnVector(pNorm);
                for (int i = 0; i < block.length; i++) {
                    grad.get(NDArrayIndex.point(block[i]), NDArrayIndex.interval(0, dim)).assign(gp.getRow(i));
                }
            }
        }
        return new Evaluation(rowLosses, grad);
    }

    @Override
    public void advanceState(INDArray input, INDArray labels, Map<String, INDArray> state) {
        INDArray[] p = pairs(input, labels);
        input = p[0];
        labels = p[1];
        int[] rows = weightedRows(input, labels);
        INDArray entriesParam = state.get(ENTRIES);
        INDArray massesParam = state.get(MASSES);
        // Work on fresh copies assigned back whole (see MocoQueueLoss: in a paramavg worker the state is a view
        // into deserialised parameters, whose sub-ranges ND4J M2.1 mishandled).
        INDArray entries = entriesParam.castTo(DataType.DOUBLE).dup('c');              // [S, K]
        double[] mass = massesParam.castTo(DataType.DOUBLE).reshape(size).toDoubleVector();
        double[] counts = new double[size];
        double[][] sums = new double[size][];
        if (rows.length > 0) {
            INDArray targets = normaliseRows(input.getRows(rows)
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2L * dim)).castTo(DataType.DOUBLE));
            double[][] t = targets.toDoubleMatrix();
            INDArray massRow = Nd4j.create(mass, new long[] {1, size}, DataType.DOUBLE);
            INDArray massSq = massRow.mul(massRow);
            INDArray entriesT = entries.transpose();
            for (int from = 0; from < rows.length; from += BLOCK) {
                int to = Math.min(from + BLOCK, rows.length);
                INDArray tb = targets.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
                INDArray q = tb.mul(tb).sum(true, 1);                                   // |t|^2, [b, 1]
                INDArray md = tb.mmul(entriesT).muliRowVector(massRow);                         // m_s v_s.t, [b, S]
                INDArray num = md.addColumnVector(q);
                // |m v + t|^2 = m^2 + 2 m v.t + |t|^2 (clamped at 0 against rounding; 0/0 would be NaN)
                INDArray den = md.mul(2).addiRowVector(massSq).addiColumnVector(q);
                den = Transforms.sqrt(Transforms.max(den, Double.MIN_NORMAL, false), false);
                // the common factor 1 / |t| does not change the argmax
                double[][] score = num.divi(den).toDoubleMatrix();
                for (int i = 0; i < score.length; i++) {
                    int best = 0;
                    for (int s = 1; s < size; s++) {
                        if (score[i][s] > score[i][best]) { // strict: ties go to the lowest index
                            best = s;
                        }
                    }
                    counts[best]++;
                    if (sums[best] == null) {
                        sums[best] = new double[dim];
                    }
                    double[] tr = t[from + i];
                    for (int c = 0; c < dim; c++) {
                        sums[best][c] += tr[c];
                    }
                }
            }
        }
        for (int s = 0; s < size; s++) {
            if (sums[s] != null) {
                INDArray moved = entries.getRow(s, true).mul(mass[s])
                        .addi(Nd4j.create(sums[s], new long[] {1, dim}, DataType.DOUBLE));
                entries.putRow(s, normaliseRows(moved));
            }
            mass[s] = (mass[s] + counts[s]) * lambda;
        }
        entriesParam.assign(entries.castTo(entriesParam.dataType()));
        massesParam.assign(Nd4j.create(mass, new long[] {1, size}, DataType.DOUBLE).castTo(massesParam.dataType()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DynamicVocabularyLoss other && super.equals(o) && dim == other.dim && size == other.size
                && Double.compare(lambda, other.lambda) == 0 && Double.compare(alpha, other.alpha) == 0
                && tokens == other.tokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), dim, size, lambda, alpha, tokens);
    }

    @Override
    public String toString() {
        return "DynamicVocabularyLoss(dim=" + dim + ", size=" + size + ", lambda=" + lambda + ", alpha=" + alpha + ", tokens=" + tokens + ")";
    }
}
