package dev.pretext.nn;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DV2's hybrid self-attention between conv stages: the patches of one image exchange information,
 * and the masked ones take no part.
 *
 * <p>Input [N, C + 1, h, w]: the feature maps of N = B T rows, T consecutive rows per image
 * (image-major, as DV2 stacks its patches), and as the last channel each row's keep flag (1 = a
 * visible patch, 0 = a masked patch or DV2's whole view; constant over h, w: the keep column
 * upsampled and merged). Output [N, C, h, w]:
 * <pre>
 *   t_r   = mean over h, w of x_r                          (pooled, [C])
 *   a     = LN(t)                                          (per row; gain, bias)
 *   o_r   = Wo MHSA(a)_r + bo, attending only to the visible rows of r's image (keys with keep 0 get
 *           logit -1e9), heads H, q k^T / sqrt(C / H)
 *   out_r = x_r + keep_r o_r                               (o_r added at every position)
 * </pre>
 * So a visible patch's features never depend on a masked patch or on the whole view (both are
 * hidden from the transformer, and would leak what it must predict), and masked rows pass through
 * unchanged: their codes stay the patch network's own, the targets. Weights start N(0, 1e-3^2) as
 * the paper's linear layers, so the block starts near the identity; biases 0, LN gain 1. No dropout.
 * Runs on {@link ExactSameDiffLayer} (DL4J M2.1's own SameDiff layer runtime doubles gradients).
 */
public class PatchAttention extends SameDiffLayer {

    static final String NAME = "PatchAttention";
    public static final double INIT_STD = 1e-3;
    static final double MASKED_LOGIT = -1e9;
    static final String LN_GAIN = "lng";
    static final String LN_BIAS = "lnb";
    static final String W_Q = "Wq";
    static final String B_Q = "bq";
    static final String W_K = "Wk";
    static final String B_K = "bk";
    static final String W_V = "Wv";
    static final String B_V = "bv";
    static final String W_O = "Wo";
    static final String B_O = "bo";

    private long channels;
    private int tokens = 16;
    private int heads = 1;

    /** For JSON deserialisation. */
    public PatchAttention() {
    }

    /**
     * @param tokens T, rows per image
     * @param heads  H (must divide the channels C)
     */
    public PatchAttention(int tokens, int heads) {
        setTokens(tokens);
        setHeads(heads);
    }

    public long getChannels() {
        return channels;
    }

    public void setChannels(long channels) {
        if (channels < 1 || channels % heads != 0) {
            throw new IllegalArgumentException(NAME + ": channels C = " + channels + " must be >= 1 and divisible by"
                    + " heads H = " + heads);
        }
        this.channels = channels;
    }

    public int getTokens() {
        return tokens;
    }

    public void setTokens(int tokens) {
        if (tokens < 1) {
            throw new IllegalArgumentException(NAME + ": rows per image T must be >= 1, got " + tokens);
        }
        this.tokens = tokens;
    }

    public int getHeads() {
        return heads;
    }

    public void setHeads(int heads) {
        if (heads < 1 || (channels > 0 && channels % heads != 0)) {
            throw new IllegalArgumentException(NAME + ": heads H = " + heads + " must be >= 1 and divide C = "
                    + channels);
        }
        this.heads = heads;
    }

    private static long channelsOf(InputType t) {
        if (!(t instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW
                || c.getChannels() < 2) {
            throw new IllegalArgumentException(NAME + " expects an NCHW feature map with the keep flag as its last"
                    + " channel [N, C + 1, h, w], got " + t);
        }
        return c.getChannels() - 1;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        setChannels(channelsOf(inputType));
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) inputType;
        return InputType.convolutional(c.getHeight(), c.getWidth(), channelsOf(inputType), CNN2DFormat.NCHW);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public SDLayerParams getLayerParams() {
        if (channels <= 0) {
            return new SDLayerParams();
        }
        SDLayerParams p = super.getLayerParams();
        long[] wq = p.getParamShapes().get(W_Q);
        if (wq == null || wq[0] != channels) {
            setLayerParams(null);
            p = super.getLayerParams();
        }
        return p;
    }

    @Override
    public void validateInput(INDArray input) {
        long[] s = input.shape();
        if (s.length != 4 || s[1] != channels + 1) {
            throw new IllegalArgumentException(NAME + ": input must be [N, C + 1, h, w] = [N, " + (channels + 1)
                    + ", h, w], got " + Arrays.toString(s));
        }
        if (s[0] % tokens != 0) {
            throw new IllegalArgumentException(NAME + ": the minibatch has " + s[0] + " rows, not a multiple of the"
                    + " T = " + tokens + " rows of an image");
        }
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long c = channels;
        params.addBiasParam(LN_GAIN, 1, c);
        params.addBiasParam(LN_BIAS, 1, c);
        for (String[] wb : new String[][] {{W_Q, B_Q}, {W_K, B_K}, {W_V, B_V}, {W_O, B_O}}) {
            params.addWeightParam(wb[0], c, c);
            params.addBiasParam(wb[1], 1, c);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray p = e.getValue();
            switch (e.getKey()) {
                case LN_GAIN -> p.assign(1.0);
                case W_Q, W_K, W_V, W_O -> p.assign(Nd4j.randn(p.dataType(), p.shape()).muli(INIT_STD));
                default -> p.assign(0.0);
            }
        }
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        long c = channels;
        long t = tokens;
        long hd = c / heads;
        SDVariable x = input.get(SDIndex.all(), SDIndex.interval(0L, c), SDIndex.all(), SDIndex.all());
        SDVariable keep = sd.reshape(input.get(SDIndex.all(), SDIndex.interval(c, c + 1), SDIndex.point(0L),
                SDIndex.point(0L)), -1, 1);                                                   // [N, 1]
        SDVariable pooled = x.mean(2, 3);                                                   // [N, C]
        SDVariable centred = pooled.sub(pooled.mean(true, 1));
        SDVariable a = centred.div(sd.math().sqrt(centred.mul(centred).mean(true, 1).add(TransformerBlock.LN_EPS)))
                .mul(p.get(LN_GAIN)).add(p.get(LN_BIAS));
        SDVariable q = heads(sd, sd.mmul(a, p.get(W_Q)).add(p.get(B_Q)).mul(1.0 / Math.sqrt(hd)), t, hd);
        SDVariable k = heads(sd, sd.mmul(a, p.get(W_K)).add(p.get(B_K)), t, hd);
        SDVariable v = heads(sd, sd.mmul(a, p.get(W_V)).add(p.get(B_V)), t, hd);
        SDVariable logits = sd.reshape(sd.mmul(q, k, false, true, false), -1, heads, t, t);  // [G, H, T, T]
        SDVariable hidden = sd.reshape(keep.rsub(1.0).mul(MASKED_LOGIT), -1, 1, 1, t);      // [G, 1, 1, T]
        SDVariable w = sd.nn().softmax(sd.reshape(logits.add(hidden), -1, t, t), 2);        // [G H, T, T]
        SDVariable ctx = sd.reshape(sd.permute(sd.reshape(sd.mmul(w, v), -1, heads, t, hd), 0, 2, 1, 3), -1, c);
        SDVariable o = sd.mmul(ctx, p.get(W_O)).add(p.get(B_O)).mul(keep);                 // [N, C]
        return x.add(sd.reshape(o, -1, c, 1, 1));
    }

    /** [N, C] rows, T per image, as [G H, T, C / H]. */
    private SDVariable heads(SameDiff sd, SDVariable x, long t, long hd) {
        return sd.reshape(sd.permute(sd.reshape(x, -1, t, heads, hd), 0, 2, 1, 3), -1, t, hd);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return ExactSameDiffLayer.wire(new ExactSameDiffLayer(conf, networkDataType), this, conf, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PatchAttention other && super.equals(o) && channels == other.channels
                && tokens == other.tokens && heads == other.heads;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), channels, tokens, heads);
    }
}
