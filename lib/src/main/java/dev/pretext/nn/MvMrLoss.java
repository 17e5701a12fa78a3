package dev.pretext.nn;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The MV-MR loss (multi-views, multi-representations) as a parameterless DL4J output layer.
 *
 * <p>Input: the projections z [2B, D] of B images stacked by view: rows 0..B-1 the non-augmented
 * images x (z), rows B..2B-1 their augmented views x' (z'). The representations f_k(x) are data,
 * and dCor only reads their double-centred distance matrices, so the labels carry those, made once
 * per minibatch by {@link #labels}: [2B, B * K] for K representations (in the order of
 * {@link #getWidths() widths}), row i &lt; B holding row i of every B x B matrix, interleaved (column
 * j * K + k is entry (i, j) of representation k's matrix); rows B + i repeat row i and are not read.
 * A 96 x 96 image's five descriptors are ~225,000 values, a minibatch's matrices B * K per image.
 * With no widths (no representation terms) the labels' values are ignored.
 *
 * <pre>
 *   L1 = mse * MSE(z, z') + variance * (hinge(z) + hinge(z'))
 *        hinge(v) = mean_d max(0, margin - sqrt(Var_b(v_d) + 1e-4)), Var unbiased
 *   L2 = viewDCor * (1 - dCor(z, z'))
 *   L3 = representation * sum_k term(dCor(z', f_k(x)))
 *        term(c) = 1 - c ({@link #MAXIMISE}, the paper) or c ({@link #MINIMISE}, the authors' public code)
 * </pre>
 * dCor is {@link DistanceCorrelation#smoothDCor}; the representations f_k are data (labels), so no
 * gradient reaches them. The distance correlation is invariant to the scale of each representation,
 * so descriptors are used as they are. All weights 1 and margin 1 are the authors' code's values.
 *
 * <p>Score: the terms couple the batch, so the layer returns {@code 2B * loss}; DL4J divides by the
 * minibatch size 2B, so the reported score is the batch loss.
 */
public class MvMrLoss extends ParameterlessLoss {

    public static final String MAXIMISE = DistanceCorrelationLoss.MAXIMISE;
    public static final String MINIMISE = DistanceCorrelationLoss.MINIMISE;
    static final String NAME = "MV-MR loss";
    /** Inside the square root of the variance hinge, as VICReg and MV-MR. */
    public static final double VAR_EPS = 1e-4;

    private int[] widths = new int[0];
    private double mseWeight = 1;
    private double varianceWeight = 1;
    private double viewWeight = 1;
    private double representationWeight = 1;
    private double margin = 1;
    private String sign = MAXIMISE;

    /** For JSON deserialisation. */
    public MvMrLoss() {
    }

    /**
     * @param widths the width of every representation in the labels, in order (may be empty)
     */
    public MvMrLoss(int[] widths, double mseWeight, double varianceWeight, double viewWeight,
                    double representationWeight, double margin, String sign) {
        setWidths(widths);
        setMseWeight(mseWeight);
        setVarianceWeight(varianceWeight);
        setViewWeight(viewWeight);
        setRepresentationWeight(representationWeight);
        setMargin(margin);
        setSign(sign);
    }

    public int[] getWidths() {
        return widths.clone();
    }

    public void setWidths(int[] widths) {
        if (widths == null) {
            throw new IllegalArgumentException(NAME + ": widths must not be null (empty for no representation terms)");
        }
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException(NAME + ": every representation width must be >= 1, got "
                        + Arrays.toString(widths));
            }
        }
        this.widths = widths.clone();
    }

    public double getMseWeight() {
        return mseWeight;
    }

    public void setMseWeight(double w) {
        this.mseWeight = weight("mse weight", w);
    }

    public double getVarianceWeight() {
        return varianceWeight;
    }

    public void setVarianceWeight(double w) {
        this.varianceWeight = weight("variance weight", w);
    }

    public double getViewWeight() {
        return viewWeight;
    }

    public void setViewWeight(double w) {
        this.viewWeight = weight("view dCor weight", w);
    }

    public double getRepresentationWeight() {
        return representationWeight;
    }

    public void setRepresentationWeight(double w) {
        this.representationWeight = weight("representation weight", w);
    }

    public double getMargin() {
        return margin;
    }

    public void setMargin(double m) {
        if (!(m > 0 && Double.isFinite(m))) {
            throw new IllegalArgumentException(NAME + ": the variance margin must be > 0 and finite, got " + m);
        }
        this.margin = m;
    }

    public String getSign() {
        return sign;
    }

    public void setSign(String sign) {
        this.sign = DistanceCorrelationLoss.sign(NAME, sign);
    }

    private static double weight(String what, double w) {
        if (!(w >= 0 && Double.isFinite(w))) {
            throw new IllegalArgumentException(NAME + ": the " + what + " must be >= 0 and finite, got " + w);
        }
        return w;
    }

    /** S, the labels' width the representation terms read. */
    public long representationWidth() {
        long s = 0;
        for (int w : widths) {
            s += w;
        }
        return s;
    }

    /** One representation term for a distance correlation c. */
    public double term(double c) {
        return MAXIMISE.equals(sign) ? 1.0 - c : c;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable z, SDVariable labels, Map<String, SDVariable> params) {
        long d = z.getShape()[1];
        DataType dt = z.dataType();
        SDVariable n = sd.onesLike(z.get(SDIndex.all(), SDIndex.point(0L))).sum();   // 2B, a constant for backprop
        SDVariable views = sd.reshape(z, 2, -1, d);                                   // [2, B, D]
        SDVariable zo = views.get(SDIndex.point(0), SDIndex.all(), SDIndex.all());
        SDVariable za = views.get(SDIndex.point(1), SDIndex.all(), SDIndex.all());
        SDVariable diff = zo.sub(za);
        SDVariable loss = diff.mul(diff).mean().mul(mseWeight);

        SDVariable bMinus1 = n.div(2.0).sub(1.0);
        SDVariable centred = views.sub(views.mean(true, 1));
        SDVariable var = centred.mul(centred).sum(true, 1).div(bMinus1);              // [2, 1, D]
        SDVariable std = sd.math().sqrt(var.add(VAR_EPS));
        SDVariable hinges = sd.nn().relu(std.rsub(margin), 0.0).mean().mul(2.0);      // hinge(z) + hinge(z')
        loss = loss.add(hinges.mul(varianceWeight));

        loss = loss.add(DistanceCorrelationLoss.dCor(sd, zo, d, za, d).rsub(1.0).mul(viewWeight));

        if (widths.length > 0) {
            int k = widths.length;
            // [2, B * B * K] -> row block 0 -> [B * B, K]: column k is representation k's matrix, flattened.
            SDVariable l = sd.reshape(sd.reshape(labels.castTo(dt), 2, -1).get(SDIndex.point(0), SDIndex.all()), -1, k);
            SDVariable a = DistanceCorrelationLoss.centredDistances(sd, za, d, dt);    // [B, B]
            SDVariable av = sd.reshape(a, -1, 1);                                       // [B * B, 1]
            SDVariable xy = l.mul(av).mean(0);                                          // [K] dCov^2(z', f_k)
            SDVariable xx = av.mul(av).mean();
            SDVariable yy = l.mul(l).mean(0);                                           // [K] dCov^2(f_k, f_k)
            SDVariable ratio = sd.nn().relu(xy, 0.0)
                    .div(sd.math().sqrt(yy.mul(xx).add(DistanceCorrelation.DEN_EPS)));
            SDVariable c = sd.math().sqrt(ratio.add(DistanceCorrelation.COR_EPS));      // [K] dCor(z', f_k)
            SDVariable terms = MAXIMISE.equals(sign) ? c.rsub(1.0) : c;
            loss = loss.add(terms.sum().mul(representationWeight));
        }
        return loss.mul(n);
    }

    @Override
    protected ViewBlocks.Check batchCheck() {
        return this::checkBatch;
    }

    /** An even number 2B &gt;= 4 of rows, and labels [2B, B * K] (any width with no representations). */
    void checkBatch(INDArray input, INDArray labels) {
        long rows = input.size(0);
        if (rows < 4 || rows % 2 != 0) {
            throw new IllegalArgumentException(NAME + ": input must be 2B rows (B non-augmented images, then their B"
                    + " augmented views) with B >= 2, got " + rows + " rows");
        }
        long cols = rows / 2 * widths.length;
        if (labels == null || labels.rank() != 2 || labels.size(0) != rows || (cols > 0 && labels.size(1) != cols)) {
            throw new IllegalArgumentException(NAME + ": labels must be [2B, B * K] = [" + rows + ", "
                    + (cols > 0 ? String.valueOf(cols) : "any") + "] (the double-centred distance matrices of the "
                    + widths.length + " representations " + Arrays.toString(widths) + ", MvMrLoss.labels), got "
                    + (labels == null ? "none" : Arrays.toString(labels.shape())));
        }
    }

    /**
     * The labels of a minibatch of B images: the double-centred distance matrix
     * {@code sqrt(|f_i - f_j|^2 + DIST_EPS)} of every representation (as {@link DistanceCorrelation}),
     * laid out as the class javadoc says. Computed in the representations' data type (the Gram matrix
     * of the column-centred rows by one matrix product, the rest in double), so a 140,000-wide
     * descriptor costs one B x B product, not 140,000 values per row in the minibatch.
     *
     * @param b    B, the images of the minibatch
     * @param reps each representation [B, w_k], in the order of the widths (none: zero labels [2B, 1])
     */
    public static INDArray labels(int b, INDArray... reps) {
        if (b < 1) {
            throw new IllegalArgumentException(NAME + ": a minibatch has at least one image, got B = " + b);
        }
        int k = reps.length;
        if (k == 0) {
            return Nd4j.zeros(DataType.FLOAT, 2L * b, 1);
        }
        double[] out = new double[2 * b * b * k];
        for (int r = 0; r < k; r++) {
            INDArray f = reps[r];
            if (f.rank() != 2 || f.size(0) != b) {
                throw new IllegalArgumentException(NAME + ": representation " + r + " must be [B, width] = [" + b
                        + ", w], got " + Arrays.toString(f.shape()));
            }
            INDArray c = f.sub(f.mean(0).reshape(1, f.size(1)));
            double[][] gram = c.mmul(c.transpose()).castTo(DataType.DOUBLE).toDoubleMatrix();
            double[][] a = new double[b][b];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    double d2 = i == j ? 0 : Math.max(0, gram[i][i] + gram[j][j] - 2 * gram[i][j]);
                    a[i][j] = Math.sqrt(d2 + DistanceCorrelation.DIST_EPS);
                }
            }
            a = DistanceCorrelation.doubleCentred(a);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    out[(i * b + j) * k + r] = a[i][j];
                    out[((b + i) * b + j) * k + r] = a[i][j];
                }
            }
        }
        return Nd4j.create(out, new long[] {2L * b, (long) b * k}, 'c').castTo(reps[0].dataType());
    }

    @Override
    protected String lossName() {
        return NAME;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MvMrLoss other && super.equals(o) && Arrays.equals(widths, other.widths)
                && mseWeight == other.mseWeight && varianceWeight == other.varianceWeight
                && viewWeight == other.viewWeight && representationWeight == other.representationWeight
                && margin == other.margin && Objects.equals(sign, other.sign);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), Arrays.hashCode(widths), mseWeight, varianceWeight, viewWeight,
                representationWeight, margin, sign);
    }

    @Override
    public String toString() {
        return "MvMrLoss(widths=" + Arrays.toString(widths) + ", mse=" + mseWeight + ", variance=" + varianceWeight
                + ", view=" + viewWeight + ", representation=" + representationWeight + ", margin=" + margin
                + ", sign=" + sign + ")";
    }
}
