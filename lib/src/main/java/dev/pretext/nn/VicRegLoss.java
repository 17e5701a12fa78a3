package dev.pretext.nn;

import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The VICReg loss (Bardes, Ponce and LeCun, 2022) as a parameterless DL4J output layer.
 *
 * <p>Input: projections z of shape [N, D]. Labels: [N, 1] image ids. Minibatch layout
 * ({@link ViewBlocks}): N = K*B rows, view k of image i at row {@code k*B + i}, label i. The loss is
 * defined for K = 2 only: rows [0, B) are view a, rows [B, 2B) view b, and row i pairs with row B+i.
 * A batch with K != 2, B &lt; 2, or rows not stacked that way is rejected with an
 * IllegalArgumentException before every score and gradient.
 *
 * <p>The terms follow the official implementation ({@code VICReg.forward} in
 * facebookresearch/vicreg, {@code main_vicreg.py}):
 * <ul>
 *   <li>invariance: {@code mean over B and D of (z_a - z_b)^2} ({@code F.mse_loss});
 *   <li>variance: for each view, {@code mean_j relu(1 - sqrt(Var_j + eps))} with the unbiased
 *       variance ({@code torch.var}'s default, divisor B-1), AVERAGED over the two views. The paper's
 *       equation (6) sums {@code v(Z) + v(Z')}; the official code, which produced the published
 *       results with the coefficients 25/25/1, divides each view's term by 2. This layer follows the
 *       code: with the paper's sum, use twice {@code stdCoeff};
 *   <li>covariance: for each view, {@code C = (z - mean)^T (z - mean) / (B-1)} and
 *       {@code sum_{i != j} C_ij^2 / D}, SUMMED over the two views (paper and code agree).
 * </ul>
 * {@code loss = simCoeff * inv + stdCoeff * var + covCoeff * cov}.
 *
 * <p>Score: DL4J divides an output layer's returned value and its gradient by the minibatch size N,
 * so the layer returns {@code loss * N}; the score DL4J reports is the batch loss itself.
 */
public class VicRegLoss extends ParameterlessLoss {

    public static final double DEFAULT_SIM_COEFF = 25;
    public static final double DEFAULT_STD_COEFF = 25;
    public static final double DEFAULT_COV_COEFF = 1;
    public static final double DEFAULT_EPS = 1e-4;

    static final String NAME = "VicRegLoss";

    private double simCoeff = DEFAULT_SIM_COEFF;
    private double stdCoeff = DEFAULT_STD_COEFF;
    private double covCoeff = DEFAULT_COV_COEFF;
    private double eps = DEFAULT_EPS;

    /** The paper's coefficients 25 / 25 / 1 and eps 1e-4; also for JSON deserialisation. */
    public VicRegLoss() {
    }

    public VicRegLoss(double simCoeff, double stdCoeff, double covCoeff) {
        this(simCoeff, stdCoeff, covCoeff, DEFAULT_EPS);
    }

    public VicRegLoss(double simCoeff, double stdCoeff, double covCoeff, double eps) {
        setSimCoeff(simCoeff);
        setStdCoeff(stdCoeff);
        setCovCoeff(covCoeff);
        setEps(eps);
    }

    public double getSimCoeff() {
        return simCoeff;
    }

    public void setSimCoeff(double simCoeff) {
        this.simCoeff = coefficient("simCoeff", simCoeff);
    }

    public double getStdCoeff() {
        return stdCoeff;
    }

    public void setStdCoeff(double stdCoeff) {
        this.stdCoeff = coefficient("stdCoeff", stdCoeff);
    }

    public double getCovCoeff() {
        return covCoeff;
    }

    public void setCovCoeff(double covCoeff) {
        this.covCoeff = coefficient("covCoeff", covCoeff);
    }

    public double getEps() {
        return eps;
    }

    /** Added to the variance under the square root: keeps the gradient finite for a collapsed feature. */
    public void setEps(double eps) {
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("VICReg eps must be a positive finite number, got " + eps);
        }
        this.eps = eps;
    }

    private static double coefficient(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("VICReg " + name + " must be a finite number >= 0, got " + value);
        }
        return value;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable z, SDVariable labels, Map<String, SDVariable> params) {
        long d = z.getShape()[1];
        DataType dt = z.dataType();
        SDVariable n = sd.onesLike(labels, dt).sum();                        // N, a constant for backprop
        SDVariable bMinus1 = n.div(2.0).sub(1.0);
        SDVariable views = sd.reshape(z, 2, -1, d);                           // [2, B, D]: view blocks
        SDVariable a = views.get(SDIndex.point(0), SDIndex.all(), SDIndex.all());
        SDVariable b = views.get(SDIndex.point(1), SDIndex.all(), SDIndex.all());
        SDVariable diff = a.sub(b);
        SDVariable invariance = diff.mul(diff).mean();

        SDVariable centred = views.sub(views.mean(true, 1));
        SDVariable var = centred.mul(centred).sum(true, 1).div(bMinus1);      // unbiased, [2, 1, D]
        SDVariable std = sd.math().sqrt(var.add(eps));
        SDVariable variance = sd.nn().relu(std.rsub(1.0), 0.0).mean();        // mean over D, then over views

        SDVariable ca = centred.get(SDIndex.point(0), SDIndex.all(), SDIndex.all());
        SDVariable cb = centred.get(SDIndex.point(1), SDIndex.all(), SDIndex.all());
        SDVariable covA = sd.mmul(ca, ca, true, false, false).div(bMinus1);   // [D, D]
        SDVariable covB = sd.mmul(cb, cb, true, false, false).div(bMinus1);
        SDVariable offMask = sd.math().diag(sd.onesLike(sd.math().diagPart(covA))).rsub(1.0);
        SDVariable offA = covA.mul(offMask);
        SDVariable offB = covB.mul(offMask);
        SDVariable covariance = offA.mul(offA).sum().add(offB.mul(offB).sum()).div((double) d);

        SDVariable loss = invariance.mul(simCoeff).add(variance.mul(stdCoeff)).add(covariance.mul(covCoeff));
        return loss.mul(n);
    }

    @Override
    protected ViewBlocks.Check batchCheck() {
        return (input, labels) -> ViewBlocks.twoStackedViews(labels, input.size(0), NAME);
    }

    @Override
    protected String lossName() {
        return NAME;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VicRegLoss other && super.equals(o)
                && Double.compare(simCoeff, other.simCoeff) == 0
                && Double.compare(stdCoeff, other.stdCoeff) == 0
                && Double.compare(covCoeff, other.covCoeff) == 0
                && Double.compare(eps, other.eps) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), simCoeff, stdCoeff, covCoeff, eps);
    }

    @Override
    public String toString() {
        return NAME + "(simCoeff=" + simCoeff + ", stdCoeff=" + stdCoeff + ", covCoeff=" + covCoeff + ", eps=" + eps
                + ")";
    }
}
