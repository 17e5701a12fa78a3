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
 * Masked patch prediction (Selfie; DV2's L_mp) as a parameterless output layer.
 *
 * <p>Input [B, 2 M K]: per image, the M predictions P^ (the transformer's outputs at the M patch
 * positions, projected to K), token-major (feature m K + k), then the M targets P (the patch
 * network's codes of the same patches, projected to K). Labels [B, M]: 1 where the patch was masked
 * (its code did not enter the transformer), 0 elsewhere. With {@code |x, y| = (cos(x, y) + 1) / 2},
 * every masked patch (i, j) is scored against its own target and against every other patch (l, m) of
 * the minibatch, of any image:
 * <pre>
 *   L_mp = -alpha / (B M * Q_total) * sum over masked (i, j) of
 *            [ log |P^_ij, P_ij| + sum over (l, m) != (i, j) of log(1 - |P^_ij, P_lm|) ]
 * </pre>
 * Q_total is the number of masked patches in the minibatch (B Q with Q per image), so the
 * normalisation is the paper's 1 / (N^2 M Q).
 *
 * <p>With {@code versions} D &gt; 1 (DV2's transformed positives), the B rows are B / D source
 * images in D transformed versions each, consecutive (row s D + v: version v of source s); the
 * patches at the same position of the other versions of the same source are positives too: the
 * first sum runs over all of them (own target included), the second over the rest. D = 1 is the
 * formula above. Inside the logs, {@value #LOG_EPS} is added;
 * cosines divide by {@code sqrt(|x|^2 + 1e-12)}. The gradient reaches predictions and targets.
 *
 * <p>Score: the layer returns {@code B * loss}; DL4J divides by the minibatch size B.
 */
public class MaskedPatchLoss extends ParameterlessLoss {

    static final String NAME = "masked patch loss";
    public static final double LOG_EPS = 1e-6;
    static final double NORM_EPS = 1e-12;

    private int patches = 16;
    private int width = 128;
    private double weight = 8;
    private int versions = 1;

    /** For JSON deserialisation. */
    public MaskedPatchLoss() {
    }

    /**
     * @param patches M, patches per image
     * @param width   K, the projection width
     * @param weight  alpha_mp (the paper: 8)
     */
    public MaskedPatchLoss(int patches, int width, double weight) {
        setPatches(patches);
        setWidth(width);
        setWeight(weight);
    }

    /** D transformed versions per source image (consecutive rows); 1 = none. */
    public MaskedPatchLoss withVersions(int versions) {
        setVersions(versions);
        return this;
    }

    public int getVersions() {
        return versions;
    }

    public void setVersions(int versions) {
        if (versions < 1) {
            throw new IllegalArgumentException(NAME + ": versions per source image D must be >= 1, got " + versions);
        }
        this.versions = versions;
    }

    public int getPatches() {
        return patches;
    }

    public void setPatches(int patches) {
        if (patches < 1) {
            throw new IllegalArgumentException(NAME + ": patches per image M must be >= 1, got " + patches);
        }
        this.patches = patches;
    }

    public int getWidth() {
        return width;
    }

    public void setWidth(int width) {
        if (width < 1) {
            throw new IllegalArgumentException(NAME + ": projection width K must be >= 1, got " + width);
        }
        this.width = width;
    }

    public double getWeight() {
        return weight;
    }

    public void setWeight(double weight) {
        if (!(weight >= 0 && Double.isFinite(weight))) {
            throw new IllegalArgumentException(NAME + ": weight alpha must be >= 0 and finite, got " + weight);
        }
        this.weight = weight;
    }

    /** Unit rows x / sqrt(|x|^2 + eps) of [R, K]. */
    static SDVariable unitRows(SameDiff sd, SDVariable x, long k, DataType dt) {
        SDVariable sq = sd.mmul(x.mul(x), sd.constant(Nd4j.ones(dt, k, 1)));            // [R, 1]
        return x.div(sd.math().sqrt(sq.add(NORM_EPS)));
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, SDVariable labels, Map<String, SDVariable> params) {
        DataType dt = input.dataType();
        long mk = (long) patches * width;
        SDVariable n = sd.onesLike(input.get(SDIndex.all(), SDIndex.point(0L))).sum();          // B
        SDVariable pred = sd.reshape(input.get(SDIndex.all(), SDIndex.interval(0L, mk)), -1, width);
        SDVariable target = sd.reshape(input.get(SDIndex.all(), SDIndex.interval(mk, 2 * mk)), -1, width);
        SDVariable s = sd.mmul(unitRows(sd, pred, width, dt), unitRows(sd, target, width, dt), false, true, false)
                .add(1.0).div(2.0);                                                            // [BM, BM] in [0, 1]
        SDVariable w = sd.reshape(labels.castTo(dt), -1);                                      // [BM]
        SDVariable same = positives(sd, w, dt);                                                 // [BM, BM]
        SDVariable positive = sd.math().log(s.add(LOG_EPS)).mul(same).sum(1);                  // [BM]
        SDVariable negative = sd.math().log(s.rsub(1.0).add(LOG_EPS)).mul(same.rsub(1.0)).sum(1);
        SDVariable perRow = positive.add(negative).mul(w);
        SDVariable rows = n.mul(patches);                                                      // B M
        SDVariable loss = perRow.sum().neg().mul(weight).div(rows.mul(w.sum()));
        return loss.mul(n);
    }

    /**
     * 1 where rows r and c (r = i M + j) are the same position of the same source: the identity for
     * D = 1, else also the other versions' patch at that position.
     */
    private SDVariable positives(SameDiff sd, SDVariable w, DataType dt) {
        if (versions == 1) {
            return sd.math().diag(sd.onesLike(w));
        }
        SDVariable idx = sd.cumsum(sd.onesLike(w), false, false, 0).sub(1.0);                  // 0 .. BM-1
        SDVariable source = sd.math().floor(idx.div((double) patches * versions));
        SDVariable position = idx.sub(sd.math().floor(idx.div(patches)).mul(patches));
        SDVariable sr = sd.reshape(source, -1, 1);
        SDVariable sc = sd.reshape(source, 1, -1);
        SDVariable pr = sd.reshape(position, -1, 1);
        SDVariable pc = sd.reshape(position, 1, -1);
        // |a - b| < 0.5 as 1 - min(|a - b|, 1): integers, so exactly 1 when equal and 0 otherwise
        SDVariable sameSource = sd.math().abs(sr.sub(sc)).rsub(1.0);
        SDVariable samePosition = sd.math().abs(pr.sub(pc)).rsub(1.0);
        return sd.nn().relu(sameSource, 0.0).mul(sd.nn().relu(samePosition, 0.0));
    }

    @Override
    protected ViewBlocks.Check batchCheck() {
        return this::checkBatch;
    }

    /** Input [B, 2 M K]; labels [B, M] of 0 and 1 with at least one 1. */
    void checkBatch(INDArray input, INDArray labels) {
        if (input.rank() != 2 || input.size(1) != 2L * patches * width) {
            throw new IllegalArgumentException(NAME + ": input must be [B, 2 M K] = [B, " + 2L * patches * width
                    + "] (predictions, then targets), got " + Arrays.toString(input.shape()));
        }
        if (input.size(0) % versions != 0) {
            throw new IllegalArgumentException(NAME + ": " + input.size(0) + " rows are not whole sources of D = "
                    + versions + " versions");
        }
        if (labels == null || labels.rank() != 2 || labels.size(0) != input.size(0) || labels.size(1) != patches) {
            throw new IllegalArgumentException(NAME + ": labels must be the mask [B, M] = [" + input.size(0) + ", "
                    + patches + "] (1 = masked), got " + (labels == null ? "none" : Arrays.toString(labels.shape())));
        }
        double masked = 0;
        for (double v : labels.castTo(DataType.DOUBLE).data().asDouble()) {
            if (v != 0 && v != 1) {
                throw new IllegalArgumentException(NAME + ": the mask holds " + v + "; only 0 and 1 are allowed");
            }
            masked += v;
        }
        if (masked == 0) {
            throw new IllegalArgumentException(NAME + ": no patch of the minibatch is masked");
        }
    }

    @Override
    protected String lossName() {
        return NAME;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MaskedPatchLoss other && super.equals(o) && patches == other.patches
                && width == other.width && weight == other.weight && versions == other.versions;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), patches, width, weight, versions);
    }

    @Override
    public String toString() {
        return "MaskedPatchLoss(M=" + patches + ", K=" + width + ", alpha=" + weight + ", D=" + versions + ")";
    }
}
