package dev.pretext.nn;

import java.util.Map;
import java.util.Objects;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * NT-Xent (normalised temperature-scaled cross entropy, SimCLR) as a parameterless DL4J output layer.
 *
 * <p>Input: projections {@code z} of shape [N, D]. Labels: [N, 1] pair ids; the rows holding the two
 * views of one source image carry the same id, in any order within the minibatch. Each row is
 * L2-normalised; {@code s = z z^T / temperature}; the diagonal is excluded from every softmax; the
 * loss of row i is {@code -log softmax_i(s)} at its partner. The layer returns the SUM over rows
 * because DL4J divides the output layer's score (and its gradient) by the minibatch size itself, so
 * the reported score is the mean over the 2B anchors, as in the SimCLR paper and the PyTorch peer.
 *
 * <p>Rows whose pair id does not occur exactly twice cannot be told apart inside the graph from a
 * correct batch, so the behaviour is defined rather than undefined:
 * <ul>
 *   <li>a row with no partner contributes no anchor term (it still acts as a negative for others);
 *   <li>a row with k &gt; 1 partners gets the mean of its k positive terms (SupCon's L_out form),
 *       which reduces to NT-Xent for k = 1.
 * </ul>
 * Both mean a broken batch, e.g. DL4J splitting or merging minibatches. {@link PairIds#check} detects
 * it when batches are assembled; trainers should call it before fitting.
 *
 * <p>Pair ids are compared as floating-point values: they must be integers below 2^24 (exact in
 * float); the assemblers use 0..B-1.
 */
public class NtXentLoss extends ParameterlessLoss {

    public static final double DEFAULT_TEMPERATURE = 0.5;

    /** Added to the squared norm so that an all-zero row has a finite gradient (cf. F.normalize's eps). */
    private static final double NORM_EPS = 1e-12;
    /** Subtracted on the diagonal: exp(-BIG) is exactly 0 in float and double, removing self-similarity. */
    private static final double BIG = 1e9;

    private double temperature = DEFAULT_TEMPERATURE;

    /** For JSON deserialisation. */
    public NtXentLoss() {
    }

    public NtXentLoss(double temperature) {
        setTemperature(temperature);
    }

    public double getTemperature() {
        return temperature;
    }

    public void setTemperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("NT-Xent temperature must be a positive finite number, got " + temperature);
        }
        this.temperature = temperature;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable z, SDVariable labels, Map<String, SDVariable> params) {
        SDVariable sq = z.mul(z).sum(true, 1).add(NORM_EPS);
        SDVariable zn = z.div(sd.math().sqrt(sq));
        SDVariable sim = sd.mmul(zn, zn, false, true, false).div(temperature);

        // Masks from the labels: constants for backprop (labels are not differentiated). Row reductions
        // keep their dimension, so every per-row term below is [N, 1].
        SDVariable ones = sd.onesLike(labels, z.dataType());
        SDVariable eye = sd.math().diag(sd.reshape(ones, -1));
        SDVariable same = labels.eq(sd.transpose(labels)).castTo(z.dataType());
        SDVariable positives = same.sub(eye);
        SDVariable count = positives.sum(true, 1);
        SDVariable hasPartner = count.gt(0.0).castTo(z.dataType());
        SDVariable divisor = sd.math().max(count, ones);

        SDVariable logits = sim.sub(eye.mul(BIG));
        // log-sum-exp by hand: M2.1's reduce_logsumexp backprop drops its dimensions and fails
        // ("reduce_sum_bp ... NDArray::reshapei: bad input shape").
        // Shifting by the row maximum keeps float finite at low temperature; its gradient cancels.
        SDVariable rowMax = logits.max(true, 1);
        SDVariable lse = sd.math().log(sd.math().exp(logits.sub(rowMax)).sum(true, 1)).add(rowMax);
        SDVariable positiveLogit = positives.mul(sim).sum(true, 1).div(divisor);
        return lse.sub(positiveLogit).mul(hasPartner).sum();
    }

    @Override
    protected String lossName() {
        return "NT-Xent";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NtXentLoss other && super.equals(o) && Double.compare(temperature, other.temperature) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), temperature);
    }

    @Override
    public String toString() {
        return "NtXentLoss(temperature=" + temperature + ")";
    }
}
