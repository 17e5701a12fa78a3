package dev.pretext.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * MoCo v2's InfoNCE loss with a FIFO queue of negative keys, as a {@link HandWrittenLoss} output layer.
 *
 * <p><b>Input</b> [N, 2D] = [q | k] (a MergeVertex of the online projection and the EMA key encoder's
 * projection), N = 2B rows, view k of image i in row k*B + i; <b>labels</b> [N, 1] hold the image id i
 * (0..B-1, twice); a batch that does not follow this layout is rejected. Queries and keys are L2-normalised
 * ({@code x / sqrt(|x|^2 + 1e-12)}); keys are constants: the gradient w.r.t. the key half is exactly zero.
 *
 * <p><b>Loss.</b> Every row r is a query (the loss is symmetric over the two views). Its logits are
 * {@code [q_r . k_s, q_r . queue_1, ..., q_r . queue_Q] / T}, s = (r + B) mod N the other view of the same
 * image; {@code loss_r = -log softmax(logits)[0]}. The layer returns the SUM over the N rows; DL4J divides
 * by N, so the reported score is the mean over queries. Queue rows are re-normalised when used, so that a
 * queue averaged by Spark parameter averaging still holds directions (averaging the queues of workers that saw different keys is not MoCo: prefer one worker
 * per queue, or accept a blurred queue).
 *
 * <p><b>State</b> (layer parameters, never trained, see {@link HandWrittenLoss}):
 * <ul>
 *   <li>{@value #QUEUE} [Q, D]: unit rows, initialised with random unit vectors from the network's seeded
 *       RNG ({@code Nd4j.getRandom()}, the one weight initialisation uses);
 *   <li>{@value #PTR} [1, 1]: the ring pointer, the next row to overwrite, an integer stored as a float
 *       (exact below 2^24; it is read with rint and reduced mod Q).
 * </ul>
 * In a training backprop (not in score-only or inference calls, not while the layer is frozen), after the
 * gradient was computed with the old queue, the N normalised keys of the step are written in row order to
 * queue rows ptr, ptr+1, ... mod Q (wrapping around row by row, so Q need not be a multiple of N), and
 * ptr becomes (ptr + N) mod Q. Q must be at least N (else one step would overwrite its own keys); a
 * smaller queue is rejected at the first minibatch.
 */
public class MocoQueueLoss extends HandWrittenLoss {

    public static final String QUEUE = "queue";
    public static final String PTR = "ptr";
    public static final int DEFAULT_QUEUE_SIZE = 4096;
    public static final double DEFAULT_TEMPERATURE = 0.2;

    private static final double NORM_EPS = 1e-12;

    private int dim;
    private int queueSize = DEFAULT_QUEUE_SIZE;
    private double temperature = DEFAULT_TEMPERATURE;

    /** For JSON deserialisation. */
    public MocoQueueLoss() {
    }

    public MocoQueueLoss(int dim) {
        this(dim, DEFAULT_QUEUE_SIZE, DEFAULT_TEMPERATURE);
    }

    public MocoQueueLoss(int dim, int queueSize, double temperature) {
        if (dim < 1) {
            throw new IllegalArgumentException("MoCo embedding dimension must be >= 1, got " + dim);
        }
        if (queueSize < 1) {
            throw new IllegalArgumentException("MoCo queue size must be >= 1, got " + queueSize);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("MoCo temperature must be a positive finite number, got " + temperature);
        }
        this.dim = dim;
        this.queueSize = queueSize;
        this.temperature = temperature;
        this.nIn = 2L * dim;
        this.nOut = 2L * dim;
    }

    public int getDim() {
        return dim;
    }

    public int getQueueSize() {
        return queueSize;
    }

    public double getTemperature() {
        return temperature;
    }

    @Override
    protected void validateInputWidth(long n) {
        if (n != 2L * dim) {
            throw new IllegalArgumentException("MocoQueueLoss (layer " + layerName + ") with dim " + dim
                    + " expects input [N, " + (2L * dim) + "] = [queries | keys], got width " + n);
        }
    }

    @Override
    public LinkedHashMap<String, long[]> stateShapes() {
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        m.put(QUEUE, new long[] {queueSize, dim});
        m.put(PTR, new long[] {1, 1});
        return m;
    }

    @Override
    public void initState(Map<String, INDArray> state) {
        INDArray queue = state.get(QUEUE);
        INDArray g = Nd4j.randn(DataType.DOUBLE, queueSize, dim);
        queue.assign(normaliseRows(g));
        state.get(PTR).assign(0);
    }

    static INDArray normaliseRows(INDArray x) {
        INDArray norm = x.mul(x).sum(true, 1).addi(NORM_EPS);
        return x.divColumnVector(org.nd4j.linalg.ops.transforms.Transforms.sqrt(norm, false));
    }

    private void checkQueue(long n) {
        if (queueSize < n) {
            throw new IllegalArgumentException("MocoQueueLoss (layer " + layerName + "): queue size " + queueSize
                    + " is smaller than the minibatch (" + n + " rows = 2 views x " + (n / 2)
                    + " images); a step would overwrite its own keys. Use a queue of at least " + n + " rows");
        }
    }

    @Override
    public Evaluation evaluate(INDArray input, INDArray labels, Map<String, INDArray> state, boolean withGradient) {
        int b = checkLayout(input, labels, 2, 2L * dim);
        long n = input.size(0);
        checkQueue(n);
        DataType dt = input.dataType();
        INDArray x = input.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim));
        INDArray norm = org.nd4j.linalg.ops.transforms.Transforms.sqrt(x.mul(x).sum(true, 1).addi(NORM_EPS), false);
        INDArray q = x.divColumnVector(norm);
        INDArray keys = normaliseRows(input.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2L * dim)));
        INDArray partnerKeys = Nd4j.vstack(keys.get(NDArrayIndex.interval(b, n), NDArrayIndex.all()),
                keys.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()));
        INDArray queue = normaliseRows(state.get(QUEUE).castTo(dt));

        INDArray pos = q.mul(partnerKeys).sum(true, 1).divi(temperature);              // [N, 1]
        INDArray neg = q.mmul(queue.transpose()).divi(temperature);                     // [N, Q]
        INDArray logits = Nd4j.hstack(pos, neg);                                        // [N, Q+1]
        INDArray max = logits.max(true, 1);
        INDArray e = logits.subColumnVector(max);
        org.nd4j.linalg.ops.transforms.Transforms.exp(e, false);
        INDArray sumExp = e.sum(true, 1);
        INDArray lse = org.nd4j.linalg.ops.transforms.Transforms.log(sumExp, true).addi(max);
        double[] rows = lse.sub(pos).castTo(DataType.DOUBLE).reshape(n).toDoubleVector();
        if (!withGradient) {
            return new Evaluation(rows, null);
        }
        INDArray p = e.divColumnVector(sumExp);                                         // softmax
        INDArray dPos = p.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1)).sub(1.0);
        INDArray dNeg = p.get(NDArrayIndex.all(), NDArrayIndex.interval(1, queueSize + 1));
        INDArray gq = partnerKeys.mulColumnVector(dPos).addi(dNeg.mmul(queue)).divi(temperature);
        // through q = x / |x|: (g - q (q . g)) / |x|
        INDArray gx = gq.sub(q.mulColumnVector(q.mul(gq).sum(true, 1))).divColumnVector(norm);
        INDArray grad = Nd4j.zeros(dt, n, 2L * dim);
        grad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, dim)).assign(gx);
        return new Evaluation(rows, grad);
    }

    @Override
    public void advanceState(INDArray input, INDArray labels, Map<String, INDArray> state) {
        long n = input.size(0);
        checkQueue(n);
        INDArray queue = state.get(QUEUE);
        INDArray ptrParam = state.get(PTR);
        INDArray keys = normaliseRows(input.get(NDArrayIndex.all(), NDArrayIndex.interval(dim, 2L * dim)))
                .castTo(queue.dataType());
        long ptr = Math.floorMod((long) Math.rint(ptrParam.getDouble(0)), queueSize);
        long first = Math.min(n, queueSize - ptr);
        // The ring write goes through a fresh copy, assigned back whole: in a paramavg worker the
        // queue is a view into parameters deserialised from the broadcast, and ND4J M2.1 gave an
        // empty array for a row range of that view past the middle of the queue (a bounds check
        // against the view's own buffer length with the parent's offset), failing the write.
        INDArray next = queue.dup('c');
        next.get(NDArrayIndex.interval(ptr, ptr + first), NDArrayIndex.all())
                .assign(keys.get(NDArrayIndex.interval(0, first), NDArrayIndex.all()));
        if (first < n) {
            next.get(NDArrayIndex.interval(0, n - first), NDArrayIndex.all())
                    .assign(keys.get(NDArrayIndex.interval(first, n), NDArrayIndex.all()));
        }
        queue.assign(next);
        ptrParam.assign((ptr + n) % queueSize);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MocoQueueLoss other && super.equals(o) && dim == other.dim && queueSize == other.queueSize
                && Double.compare(temperature, other.temperature) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), dim, queueSize, temperature);
    }

    @Override
    public String toString() {
        return "MocoQueueLoss(dim=" + dim + ", queueSize=" + queueSize + ", temperature=" + temperature + ")";
    }
}
