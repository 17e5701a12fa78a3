package dev.pretext.nn;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The cross-view cosine loss of BYOL and SimSiam as a parameterless DL4J output layer: each view's
 * prediction regresses onto the stop-gradient projection of the other views of the same image.
 *
 * <p>Input: [N, 2D], the concatenation along features of {@code [p | z]} (a MergeVertex of the online
 * predictor output p and the target projection z, both [N, D]). Labels: [N, 1] image ids. Minibatch
 * layout ({@link ViewBlocks}): N = K*B rows, view k of image i at row {@code k*B + i}, label i. Rows
 * are paired by id, so the row order does not matter to this loss; every id must occur the same
 * number K &gt;= 2 of times, which is checked before every score and gradient.
 *
 * <p>For each row r, with partners s != r of the same id:
 * {@code term_r = scale * (offset - mean_s cos(p_r, sg(z_s)))}; the {@link #getForm() form}
 * {@code "byol"} gives {@code 2 - 2 cos} (offset 1, scale 2), {@code "simsiam"} gives {@code -cos}
 * (offset 0, scale 1). Rows are normalised as {@code x / sqrt(|x|^2 + 1e-12)} (cf. F.normalize's
 * eps), so an all-zero row has a finite gradient. z is behind SameDiff's StopGradient: the gradient
 * with respect to the z half of the input is exactly zero (the target branch gets no gradient
 * from this loss, as {@code z.detach()} in the papers' pseudo-code).
 *
 * <p>Score: the layer returns the SUM of {@code term_r} over the N rows; DL4J divides score and
 * gradient by N, so the reported score is the mean over the N anchors. For K = 2 that is SimSiam's
 * symmetrised {@code D(p1, z2)/2 + D(p2, z1)/2} exactly, and half of BYOL's symmetrised
 * {@code L + L~} (which sums both directions): a constant factor of 2 in BYOL's learning rate.
 */
public class CrossViewCosineLoss extends ParameterlessLoss {

    public static final String BYOL = "byol";
    public static final String SIMSIAM = "simsiam";

    static final String NAME = "CrossViewCosineLoss";

    /** Added to the squared norm so that an all-zero row has a finite gradient. */
    private static final double NORM_EPS = 1e-12;

    private String form = BYOL;

    /** BYOL's {@code 2 - 2 cos}; also for JSON deserialisation. */
    public CrossViewCosineLoss() {
    }

    /** @param form {@link #BYOL} or {@link #SIMSIAM} (case-insensitive) */
    public CrossViewCosineLoss(String form) {
        setForm(form);
    }

    public static CrossViewCosineLoss byol() {
        return new CrossViewCosineLoss(BYOL);
    }

    public static CrossViewCosineLoss simSiam() {
        return new CrossViewCosineLoss(SIMSIAM);
    }

    public String getForm() {
        return form;
    }

    public void setForm(String form) {
        String f = form == null ? null : form.trim().toLowerCase(Locale.ROOT);
        if (!BYOL.equals(f) && !SIMSIAM.equals(f)) {
            throw new IllegalArgumentException("cross-view cosine loss form must be \"" + BYOL + "\" (2 - 2 cos) or \""
                    + SIMSIAM + "\" (-cos), got " + (form == null ? "null" : "\"" + form + "\""));
        }
        this.form = f;
    }

    /** The constant in {@code scale * (offset - cos)}. */
    double offset() {
        return BYOL.equals(form) ? 1.0 : 0.0;
    }

    /** The factor in {@code scale * (offset - cos)}. */
    double scale() {
        return BYOL.equals(form) ? 2.0 : 1.0;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x, SDVariable labels, Map<String, SDVariable> params) {
        // DL4J builds the graph from the first minibatch's shape with the batch dimension set to -1:
        // the feature width is known here.
        long width = x.getShape()[1];
        if (width < 2 || width % 2 != 0) {
            throw new IllegalArgumentException(NAME + ": input must be [N, 2D] = [p | z], got width " + width);
        }
        long d = width / 2;
        SDVariable p = x.get(SDIndex.all(), SDIndex.interval(0L, d));
        SDVariable z = new StopGradient(sd, x.get(SDIndex.all(), SDIndex.interval(d, width))).outputVariable();
        // Squared row norms as a product with a ones column, not sum(true, 1): M2.1's reduce along a
        // dimension of size 1 (D = 1) fails in SameDiff ("BaseReduceOp.x() is null").
        SDVariable onesD = sd.constant(Nd4j.ones(x.dataType(), d, 1));
        SDVariable pn = p.div(sd.math().sqrt(sd.mmul(p.mul(p), onesD).add(NORM_EPS)));
        SDVariable zn = z.div(sd.math().sqrt(sd.mmul(z.mul(z), onesD).add(NORM_EPS)));
        SDVariable cos = sd.mmul(pn, zn, false, true, false);                 // [N, N]: cos(p_r, z_s)

        // Partner masks from the labels (constants for backprop), as in NtXentLoss.
        SDVariable ones = sd.onesLike(labels, x.dataType());
        SDVariable eye = sd.math().diag(sd.reshape(ones, -1));
        SDVariable partners = labels.eq(sd.transpose(labels)).castTo(x.dataType()).sub(eye);
        SDVariable count = partners.sum(true, 1);
        SDVariable hasPartner = count.gt(0.0).castTo(x.dataType());
        SDVariable meanCos = partners.mul(cos).sum(true, 1).div(sd.math().max(count, ones));
        return meanCos.rsub(offset()).mul(scale()).mul(hasPartner).sum();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException(NAME + " expects feed-forward input [N, 2D] = [p | z], got " + inputType);
        }
        long width = ((InputType.InputTypeFeedForward) inputType).getSize();
        if (width < 2 || width % 2 != 0) {
            throw new IllegalArgumentException(NAME + " expects input [N, 2D] = [p | z] (predictor output and target"
                    + " projection of equal width D, merged along features), got an odd width " + width);
        }
        return inputType;
    }

    @Override
    protected ViewBlocks.Check batchCheck() {
        return (input, labels) -> ViewBlocks.layout(labels, input.size(0), NAME);
    }

    @Override
    protected String lossName() {
        return NAME;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CrossViewCosineLoss other && super.equals(o) && Objects.equals(form, other.form);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), form);
    }

    @Override
    public String toString() {
        return NAME + "(form=" + form + ")";
    }
}
