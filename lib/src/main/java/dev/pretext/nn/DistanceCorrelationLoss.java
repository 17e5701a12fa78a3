package dev.pretext.nn;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Distance correlation between two batches as a parameterless DL4J output layer: MV-MR's
 * {@code L2 = 1 - dCor(z, z')} and {@code L3 = 1 - dCor(z', f(x))} (handcrafted features or a teacher's
 * embedding f of any width).
 *
 * <p>Input: [N, p + q], the concatenation along features of {@code [x | y]} (a MergeVertex), with
 * {@link #getLeftWidth() leftWidth} = p &gt;= 1 and q = width - p &gt;= 1. Row i of x is paired with row i
 * of y. Labels: a [N, k] array with N rows (e.g. the image ids); only its row count is checked, its
 * values are ignored. The batch needs N &gt;= 2 rows.
 *
 * <p>Loss over the batch: {@code weight * (1 - dCor(x, y))} for {@link #MAXIMISE} (the paper, the
 * default) and {@code weight * dCor(x, y)} for {@link #MINIMISE} (the authors' public code for the
 * handcrafted terms). dCor is {@link DistanceCorrelation#smoothDCor} (see there for the eps
 * convention: distances {@code sqrt(d^2 + 1e-9)}, guarded denominator and final root). Pairwise
 * squared distances are computed from the Gram matrix of the column-centred batch (no [N, N, p]
 * tensor), clipped at 0 and with the diagonal's set to exactly 0, so coinciding rows give a finite
 * gradient. With {@link #isStopGradientRight() stopGradientRight} y is behind SameDiff's StopGradient:
 * the gradient with respect to the y half of the input is exactly zero (a fixed descriptor or teacher
 * embedding).
 *
 * <p>Score: dCor couples the whole batch, so the layer returns {@code N * loss}; DL4J divides score
 * and gradient by N, so the reported score is the batch loss itself.
 */
public class DistanceCorrelationLoss extends ParameterlessLoss {

    /** Loss {@code 1 - dCor}: make x and y dependent (the MV-MR paper). */
    public static final String MAXIMISE = "maximise";
    /** Loss {@code dCor}: make x and y independent (the sign of the authors' public code). */
    public static final String MINIMISE = "minimise";

    static final String NAME = "DistanceCorrelationLoss";

    private int leftWidth;
    private String sign = MAXIMISE;
    private boolean stopGradientRight;
    private double weight = 1.0;

    /** For JSON deserialisation; {@link #setLeftWidth} must be called before use. */
    public DistanceCorrelationLoss() {
    }

    /** Loss {@code 1 - dCor(x, y)} with x the first {@code leftWidth} input columns. */
    public DistanceCorrelationLoss(int leftWidth) {
        setLeftWidth(leftWidth);
    }

    /** @param sign {@link #MAXIMISE} or {@link #MINIMISE} (case-insensitive) */
    public DistanceCorrelationLoss(int leftWidth, String sign) {
        this(leftWidth);
        setSign(sign);
    }

    public DistanceCorrelationLoss(int leftWidth, String sign, boolean stopGradientRight, double weight) {
        this(leftWidth, sign);
        setStopGradientRight(stopGradientRight);
        setWeight(weight);
    }

    public int getLeftWidth() {
        return leftWidth;
    }

    /** The width p of x, the left part of the input; p &gt;= 1. */
    public void setLeftWidth(int leftWidth) {
        if (leftWidth < 1) {
            throw new IllegalArgumentException(NAME + ": leftWidth (the width p of x in the input [x | y]) must be"
                    + " >= 1, got " + leftWidth);
        }
        this.leftWidth = leftWidth;
    }

    public String getSign() {
        return sign;
    }

    public void setSign(String sign) {
        this.sign = sign(NAME, sign);
    }

    /** {@link #MAXIMISE} or {@link #MINIMISE} (case-insensitive, trimmed); errors name {@code layer}. */
    static String sign(String layer, String sign) {
        String s = sign == null ? null : sign.trim().toLowerCase(Locale.ROOT);
        if (!MAXIMISE.equals(s) && !MINIMISE.equals(s)) {
            throw new IllegalArgumentException(layer + ": sign must be \"" + MAXIMISE + "\" (loss 1 - dCor, the"
                    + " paper) or \"" + MINIMISE + "\" (loss dCor, the authors' code), got "
                    + (sign == null ? "null" : "\"" + sign + "\""));
        }
        return s;
    }

    public boolean isStopGradientRight() {
        return stopGradientRight;
    }

    /** True when y is fixed (descriptor, teacher): no gradient flows into the y half of the input. */
    public void setStopGradientRight(boolean stopGradientRight) {
        this.stopGradientRight = stopGradientRight;
    }

    public double getWeight() {
        return weight;
    }

    public void setWeight(double weight) {
        if (!Double.isFinite(weight)) {
            throw new IllegalArgumentException(NAME + ": weight must be finite, got " + weight);
        }
        this.weight = weight;
    }

    /** The batch loss for a given dCor, as this layer defines it. */
    public double loss(double dCor) {
        return weight * (MAXIMISE.equals(sign) ? 1.0 - dCor : dCor);
    }

    private void checkWidth(long width) {
        if (leftWidth < 1) {
            throw new IllegalArgumentException(NAME + ": leftWidth (the width p of x in the input [x | y]) is not"
                    + " set");
        }
        if (leftWidth >= width) {
            throw new IllegalArgumentException(NAME + ": input [N, p + q] = [x | y] of width " + width
                    + " leaves no columns for y with leftWidth p = " + leftWidth + " (need 1 <= p < width)");
        }
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable in, SDVariable labels, Map<String, SDVariable> params) {
        long width = in.getShape()[1];
        checkWidth(width);
        SDVariable x = in.get(SDIndex.all(), SDIndex.interval(0L, (long) leftWidth));
        SDVariable y = in.get(SDIndex.all(), SDIndex.interval((long) leftWidth, width));
        if (stopGradientRight) {
            y = new StopGradient(sd, y).outputVariable();
        }
        SDVariable dCor = dCor(sd, x, leftWidth, y, width - leftWidth);
        SDVariable loss = MAXIMISE.equals(sign) ? dCor.rsub(1.0).mul(weight) : dCor.mul(weight);
        // N * loss: DL4J divides the returned score by the minibatch size.
        SDVariable n = sd.onesLike(x.get(SDIndex.all(), SDIndex.point(0L))).sum();
        return loss.mul(n);
    }

    /**
     * {@link DistanceCorrelation#smoothDCor} of x [N, p] and y [N, q] as a SameDiff scalar (shared by
     * {@link MvMrLoss}).
     */
    static SDVariable dCor(SameDiff sd, SDVariable x, long p, SDVariable y, long q) {
        DataType dt = x.dataType();
        SDVariable a = centredDistances(sd, x, p, dt);
        SDVariable b = centredDistances(sd, y, q, dt);
        SDVariable xy = a.mul(b).mean();
        SDVariable xx = a.mul(a).mean();
        SDVariable yy = b.mul(b).mean();
        SDVariable ratio = sd.nn().relu(xy, 0.0).div(sd.math().sqrt(xx.mul(yy).add(DistanceCorrelation.DEN_EPS)));
        return sd.math().sqrt(ratio.add(DistanceCorrelation.COR_EPS));
    }

    /** Double-centred pairwise distances {@code sqrt(|z_i - z_j|^2 + DIST_EPS)} of z [N, d], [N, N]. */
    static SDVariable centredDistances(SameDiff sd, SDVariable z, long d, DataType dt) {
        // Centring the columns leaves distances unchanged and keeps the Gram form accurate in float.
        SDVariable c = z.sub(z.mean(true, 0));
        // Squared norms via a ones column, not sum(true, 1): M2.1's reduce over a size-1 dim can NPE (d = 1).
        SDVariable sq = sd.mmul(c.mul(c), sd.constant(Nd4j.ones(dt, d, 1)));          // [N, 1]
        SDVariable gram = sd.mmul(c, c, false, true, false);                           // [N, N]
        SDVariable d2 = sq.add(sd.transpose(sq)).sub(gram.mul(2.0));
        // Clip rounding below 0 and set the diagonal's squared distance to exactly 0 (so its distance is
        // sqrt(eps), as in the reference, with no gradient).
        SDVariable offDiag = sd.math().diag(sd.reshape(sd.onesLike(sq), -1)).rsub(1.0);
        SDVariable dist = sd.math().sqrt(sd.nn().relu(d2, 0.0).mul(offDiag).add(DistanceCorrelation.DIST_EPS));
        return dist.sub(dist.mean(true, 1)).sub(dist.mean(true, 0)).add(dist.mean());
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException(NAME + " expects feed-forward input [N, p + q] = [x | y], got "
                    + inputType);
        }
        checkWidth(((InputType.InputTypeFeedForward) inputType).getSize());
        return inputType;
    }

    @Override
    protected ViewBlocks.Check batchCheck() {
        return DistanceCorrelationLoss::checkBatch;
    }

    /** N &gt;= 2 rows, and labels (ignored otherwise) with the same number of rows. */
    static void checkBatch(INDArray input, INDArray labels) {
        long n = input.size(0);
        if (n < 2) {
            throw new IllegalArgumentException(NAME + ": distance correlation needs a batch of N >= 2 rows, got "
                    + n);
        }
        if (labels == null || labels.rank() != 2 || labels.size(0) != n) {
            throw new IllegalArgumentException(NAME + ": labels must be a [N, k] array with N = " + n
                    + " rows (their values are ignored), got "
                    + (labels == null ? "none" : Arrays.toString(labels.shape())));
        }
    }

    @Override
    protected String lossName() {
        return NAME;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DistanceCorrelationLoss other && super.equals(o) && leftWidth == other.leftWidth
                && Objects.equals(sign, other.sign) && stopGradientRight == other.stopGradientRight
                && Double.compare(weight, other.weight) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), leftWidth, sign, stopGradientRight, weight);
    }

    @Override
    public String toString() {
        return NAME + "(leftWidth=" + leftWidth + ", sign=" + sign + ", stopGradientRight=" + stopGradientRight
                + ", weight=" + weight + ")";
    }
}
