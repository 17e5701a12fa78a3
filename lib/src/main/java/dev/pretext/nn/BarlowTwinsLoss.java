package dev.pretext.nn;

import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The Barlow Twins loss (Zbontar et al., 2021) as a parameterless DL4J output layer.
 *
 * <p>Input: projections z of shape [N, D]. Labels: [N, 1] image ids. Minibatch layout
 * ({@link ViewBlocks}): N = K*B rows, view k of image i at row {@code k*B + i}, label i. The loss is
 * defined for K = 2 only: rows [0, B) are view a, rows [B, 2B) view b, and row i pairs with row B+i.
 * A batch with K != 2, B &lt; 2, or rows not stacked that way is rejected with an
 * IllegalArgumentException before every score and gradient (K &gt; 2 is not averaged over view
 * pairs: the paper has two views, and an average would silently change the loss's scale).
 *
 * <p>Each view block is standardised along the batch dimension as the paper's BatchNorm without
 * affine parameters in training mode: mean 0 and biased variance, {@code (z - mean) / sqrt(var + 1e-5)}
 * (PyTorch BatchNorm1d's default eps, as in the official code). With {@code C = z_a^T z_b / B} [D, D]:
 * {@code loss = sum_i (1 - C_ii)^2 + lambda * sum_{i != j} C_ij^2}.
 *
 * <p>Score: DL4J divides an output layer's returned value and its gradient by the minibatch size N,
 * so the layer returns {@code loss * N}; the score DL4J reports (and the gradient it applies) is then
 * the batch loss itself, as the paper and the official code report it.
 */
public class BarlowTwinsLoss extends ParameterlessLoss {

    public static final double DEFAULT_LAMBDA = 5e-3;

    static final String NAME = "BarlowTwinsLoss";

    /** PyTorch BatchNorm1d's default eps, as the official code's {@code nn.BatchNorm1d(affine=False)}. */
    static final double BN_EPS = 1e-5;

    private double lambda = DEFAULT_LAMBDA;

    /** lambda = {@value #DEFAULT_LAMBDA}; also for JSON deserialisation. */
    public BarlowTwinsLoss() {
    }

    public BarlowTwinsLoss(double lambda) {
        setLambda(lambda);
    }

    public double getLambda() {
        return lambda;
    }

    public void setLambda(double lambda) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("Barlow Twins lambda (off-diagonal weight) must be a finite number >= 0,"
                    + " got " + lambda);
        }
        this.lambda = lambda;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable z, SDVariable labels, Map<String, SDVariable> params) {
        long d = z.getShape()[1];
        DataType dt = z.dataType();
        SDVariable n = sd.onesLike(labels, dt).sum();                        // N, a constant for backprop
        SDVariable views = sd.reshape(z, 2, -1, d);                           // [2, B, D]: view blocks
        SDVariable centred = views.sub(views.mean(true, 1));
        SDVariable var = centred.mul(centred).mean(true, 1);                  // biased, per view and feature
        SDVariable std = centred.div(sd.math().sqrt(var.add(BN_EPS)));
        SDVariable a = std.get(SDIndex.point(0), SDIndex.all(), SDIndex.all());
        SDVariable b = std.get(SDIndex.point(1), SDIndex.all(), SDIndex.all());
        SDVariable c = sd.mmul(a, b, true, false, false).div(n.div(2.0));     // [D, D]
        SDVariable diag = sd.math().diagPart(c);
        SDVariable offMask = sd.math().diag(sd.onesLike(diag)).rsub(1.0);
        SDVariable onDiag = diag.rsub(1.0);
        SDVariable off = c.mul(offMask);
        SDVariable loss = onDiag.mul(onDiag).sum().add(off.mul(off).sum().mul(lambda));
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
        return o instanceof BarlowTwinsLoss other && super.equals(o) && Double.compare(lambda, other.lambda) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), lambda);
    }

    @Override
    public String toString() {
        return NAME + "(lambda=" + lambda + ")";
    }
}
