package dev.pretext.nn;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.WeightInitXavierUniform;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A pre-norm transformer encoder block as a DL4J layer (SameDiff inside, dropout handled on the host):
 * <pre>
 *   h   = x + Dropout(MHSA(LN1(x)))
 *   out = h + Dropout(W2 GELU(W1 LN2(h) + b1) + b2)
 * </pre>
 * on a set of T tokens of width D, per example. Nothing in the block knows token positions: it is
 * permutation-equivariant over the tokens; positions come from a layer before it ({@link PositionEmbedding}).
 *
 * <h2>Definition</h2>
 * <ul>
 *   <li>LN: layer norm over the D features of each token, biased variance, eps {@value #LN_EPS} (PyTorch's
 *       {@code nn.LayerNorm} default), learnable gain (init 1) and bias (init 0).
 *   <li>MHSA with {@code heads} heads H (D divisible by H, head width d = D/H): q = a Wq + bq, k = a Wk + bk,
 *       v = a Wv + bv ([D, D] each, tokens as rows), per head softmax(q k^T / sqrt(d)) v over the T tokens of
 *       the same example, heads concatenated, then Wo, bo. No dropout on the attention weights.
 *   <li>MLP: hidden width {@code mlpRatio * D}; GELU is the exact one, 0.5 u (1 + erf(u / sqrt 2)) (PyTorch's
 *       {@code nn.GELU()} default; ND4J's own {@code gelu} op is the sigmoid approximation u sigmoid(1.702 u),
 *       so it is written from {@code erf}).
 *   <li>Dropout p ({@code dropout}, default {@value #DEFAULT_DROPOUT}, DV2's value; 0 allowed) on the two
 *       residual branches, inverted (kept values scaled by 1/(1-p)), so inference is the identity.
 *   <li>Initialisation as PyTorch's {@code nn.MultiheadAttention}/timm: Xavier (Glorot) uniform for Wq, Wk, Wv,
 *       Wo (each a D x D map: U(-a, a), a = sqrt(6 / (fanIn + fanOut))) and for W1 [D, F], W2 [F, D]; all
 *       biases 0; LN gain 1, bias 0. The layer norm parameters and all biases are DL4J "bias" parameters:
 *       no weight decay or L2 from the network's (non-bias) regularisation, and the bias updater if set.
 * </ul>
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>Recurrent input {@code InputType.recurrent(D[, T])}, DL4J's NCW [N, D, T] (feature-major: the token t
 *       of example n is the column {@code x[n, :, t]}); the output has the same shape and type. T needs not be
 *       known when the network is built: the SameDiff graph is built for the first T it sees and rebuilt if
 *       it changes.
 *   <li>Convolutional input {@code InputType.convolutional(H, W, C)} (NCHW): the H*W positions are the tokens
 *       and the C channels their width (D = C). [N, C, H, W] is read as [N, C, H*W] (a plain row-major
 *       reshape, no copy), so this is exactly attention over the positions of a feature map, with the
 *       residual links inside the block; the output is [N, C, H, W] again. This is how DV2's hybrid
 *       architecture places self-attention between conv stages: {@code addLayer("att3", new
 *       TransformerBlock(h, 4, 0.1), "res3")}.
 *   <li>{@code groupSize} G (default 1): the tokens of G consecutive examples (rows {@code b*G .. b*G+G-1})
 *       form one sequence of G*T tokens, e.g. the M patches of one image stacked image-major in the batch
 *       dimension ([B*M, C, h, w], as {@code ReshapeVertex} makes from [B, M*C, h, w]): attention then
 *       exchanges information among the patches of one image (DV2's hybrid architecture). The minibatch
 *       must be a multiple of G; the output keeps the input's layout.
 *   <li>Feed-forward tokens [N, T*D], token-major (feature {@code t*D + d}, the layout of T token vectors
 *       concatenated): {@code new ReshapeVertex('f', new int[] {-1, D, T}, null)} turns them into NCW
 *       [N, D, T] (an 'f'-order reshape maps feature t*D + d to [d, t]); {@code new ReshapeVertex('f',
 *       new int[] {-1, T*D}, null)} turns the block's output back, after which {@code SubsetVertex(t*D,
 *       t*D + D - 1)} reads token t (e.g. t = 0, an [IMG] token). {@link PositionEmbedding} also accepts that
 *       feed-forward layout directly. Rows patch-major in the batch ([T*N, D], row t*N + n) are what DL4J's
 *       {@code FeedForwardToRnnPreProcessor} expects, but it takes the minibatch size from the graph's
 *       input, so it does not work when the patches themselves are the graph's minibatch: use the
 *       reshapes above.
 * </ul>
 * Masks (variable-length sequences) are not supported: a mask array on the input is refused.
 *
 * <h2>Dropout and training mode</h2>
 * DL4J's SameDiff layers never tell their graph whether they run in training mode, and DL4J runs the forward
 * pass again inside backprop, so a random op inside the graph would draw a different mask for the gradient
 * than for the output. This layer therefore draws its two dropout masks on the host (ND4J's RNG, so
 * {@code Nd4j.getRandom().setSeed} makes them reproducible) in {@code activate(training = true)}, feeds them
 * as placeholders [N*T, D], and reuses the same masks in the following {@code backpropGradient}. In inference
 * it feeds masks of ones (kept per shape): deterministic, the same graph. With p = 0 the graph has no mask
 * placeholders. DL4J's layer-level {@code dropOut(...)} (input dropout) is not applied by SameDiff layers:
 * use {@code dropout} here.
 *
 * <h2>Runtime</h2>
 * {@link ExactSameDiffLayer}: DL4J M2.1's own SameDiff layer runtime returns twice the true gradients; that
 * one returns the exact ones (checked here against finite differences and DL4J's gradient check) and feeds
 * the dropout masks. Parameter names have no '_' (DL4J splits gradient keys "layer_param" at the last '_').
 */
public class TransformerBlock extends SameDiffLayer {

    static final String NAME = "TransformerBlock";
    /** PyTorch's {@code nn.LayerNorm} default. */
    public static final double LN_EPS = 1e-5;
    public static final double DEFAULT_DROPOUT = 0.1;
    public static final int DEFAULT_MLP_RATIO = 4;

    public static final String LN1_GAIN = "ln1g";
    public static final String LN1_BIAS = "ln1b";
    public static final String W_Q = "Wq";
    public static final String B_Q = "bq";
    public static final String W_K = "Wk";
    public static final String B_K = "bk";
    public static final String W_V = "Wv";
    public static final String B_V = "bv";
    public static final String W_O = "Wo";
    public static final String B_O = "bo";
    public static final String LN2_GAIN = "ln2g";
    public static final String LN2_BIAS = "ln2b";
    public static final String W_1 = "W1";
    public static final String B_1 = "b1";
    public static final String W_2 = "W2";
    public static final String B_2 = "b2";

    /** Placeholders of the two dropout masks ([N*T, D], values 0 or 1/(1-p); all ones in inference). */
    static final String DROP_ATTENTION = "dropAttention";
    static final String DROP_MLP = "dropMlp";

    private long width;
    private int heads = 1;
    private int mlpRatio = DEFAULT_MLP_RATIO;
    private double dropout = DEFAULT_DROPOUT;
    private int groupSize = 1;

    /** For JSON deserialisation. */
    public TransformerBlock() {
    }

    /** Width D from the input type, G = 1. */
    public TransformerBlock(int heads, int mlpRatio, double dropout) {
        setHeads(heads);
        setMlpRatio(mlpRatio);
        setDropout(dropout);
    }

    /** Width D from the input type. */
    public TransformerBlock(int heads, int mlpRatio, double dropout, int groupSize) {
        this(heads, mlpRatio, dropout);
        setGroupSize(groupSize);
    }

    /** D, the token width (0 until the input type is known). */
    public long getWidth() {
        return width;
    }

    /** Sets D; usually left to the input type. */
    public void setWidth(long width) {
        if (width < 1) {
            throw new IllegalArgumentException(NAME + ": width D must be >= 1, got " + width);
        }
        checkDivisible(width, heads);
        this.width = width;
    }

    public int getHeads() {
        return heads;
    }

    public void setHeads(int heads) {
        if (heads < 1) {
            throw new IllegalArgumentException(NAME + ": heads H must be >= 1, got " + heads);
        }
        checkDivisible(width, heads);
        this.heads = heads;
    }

    public int getMlpRatio() {
        return mlpRatio;
    }

    public void setMlpRatio(int mlpRatio) {
        if (mlpRatio < 1) {
            throw new IllegalArgumentException(NAME + ": mlpRatio (MLP hidden width / D) must be >= 1, got "
                    + mlpRatio);
        }
        this.mlpRatio = mlpRatio;
    }

    public double getDropout() {
        return dropout;
    }

    public void setDropout(double dropout) {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException(NAME + ": dropout must be in [0, 1), got " + dropout);
        }
        this.dropout = dropout;
    }

    public int getGroupSize() {
        return groupSize;
    }

    public void setGroupSize(int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException(NAME + ": groupSize G (examples per sequence) must be >= 1, got "
                    + groupSize);
        }
        this.groupSize = groupSize;
    }

    private static void checkDivisible(long width, int heads) {
        if (width > 0 && width % heads != 0) {
            throw new IllegalArgumentException(NAME + ": width D = " + width + " is not divisible by heads H = "
                    + heads);
        }
    }

    /** The MLP's hidden width F = mlpRatio * D. */
    public long hiddenWidth() {
        return mlpRatio * width;
    }

    // ---- input types

    /** D of a recurrent NCW or convolutional NCHW input type; anything else is refused. */
    static long tokenWidth(InputType inputType, String layer) {
        if (inputType instanceof InputType.InputTypeRecurrent r) {
            if (r.getFormat() != RNNFormat.NCW) {
                throw new IllegalArgumentException(layer + " expects recurrent input in NCW layout [N, D, T], got "
                        + r.getFormat());
            }
            return r.getSize();
        }
        if (inputType instanceof InputType.InputTypeConvolutional c) {
            if (c.getFormat() != CNN2DFormat.NCHW) {
                throw new IllegalArgumentException(layer + " expects convolutional input in NCHW layout, got "
                        + c.getFormat());
            }
            return c.getChannels();
        }
        throw new IllegalArgumentException(layer + " expects tokens as recurrent input [N, D, T]"
                + " (InputType.recurrent(D)) or a feature map [N, C, H, W] (InputType.convolutional), got "
                + inputType + "; feed-forward tokens [N, T*D] (token-major) become [N, D, T] with"
                + " new ReshapeVertex('f', new int[] {-1, D, T}, null)");
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        long d = tokenWidth(inputType, NAME);
        if (width > 0 && width != d && !override) {
            throw new IllegalArgumentException(NAME + ": width D = " + width + " was set but the input has "
                    + d + " features per token (" + inputType + ")");
        }
        setWidth(d);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long d = tokenWidth(inputType, NAME);
        if (width > 0 && d != width) {
            throw new IllegalArgumentException(NAME + ": input has " + d + " features per token, the layer has"
                    + " width D = " + width);
        }
        return inputType;
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    /** The parameter shapes, (re)defined when D or the MLP width changed since they were cached. */
    @Override
    public SDLayerParams getLayerParams() {
        if (width <= 0) {
            return new SDLayerParams();           // not known yet: define (and cache) nothing
        }
        SDLayerParams p = super.getLayerParams();
        long[] w1 = p.getParamShapes().get(W_1);
        if (w1 == null || w1[0] != width || w1[1] != hiddenWidth()) {
            setLayerParams(null);
            p = super.getLayerParams();
        }
        return p;
    }

    @Override
    public void validateInput(INDArray input) {
        long[] s = input.shape();
        if ((s.length != 3 && s.length != 4) || s[1] != width) {
            throw new IllegalArgumentException(NAME + ": input must be tokens [N, D, T] or a feature map"
                    + " [N, D, H, W] with D = " + width + ", got " + Arrays.toString(s));
        }
        if (s[0] % groupSize != 0) {
            throw new IllegalArgumentException(NAME + ": groupSize G = " + groupSize + " joins the tokens of G"
                    + " consecutive examples, but the minibatch has " + s[0] + " examples (not a multiple of G)");
        }
    }

    // ---- parameters

    @Override
    public void defineParameters(SDLayerParams params) {
        long d = width;
        long f = hiddenWidth();
        params.addBiasParam(LN1_GAIN, 1, d);
        params.addBiasParam(LN1_BIAS, 1, d);
        params.addWeightParam(W_Q, d, d);
        params.addBiasParam(B_Q, 1, d);
        params.addWeightParam(W_K, d, d);
        params.addBiasParam(B_K, 1, d);
        params.addWeightParam(W_V, d, d);
        params.addBiasParam(B_V, 1, d);
        params.addWeightParam(W_O, d, d);
        params.addBiasParam(B_O, 1, d);
        params.addBiasParam(LN2_GAIN, 1, d);
        params.addBiasParam(LN2_BIAS, 1, d);
        params.addWeightParam(W_1, d, f);
        params.addBiasParam(B_1, 1, f);
        params.addWeightParam(W_2, f, d);
        params.addBiasParam(B_2, 1, d);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            INDArray p = e.getValue();
            switch (e.getKey()) {
                case LN1_GAIN, LN2_GAIN -> p.assign(1.0);
                case W_Q, W_K, W_V, W_O, W_1, W_2 ->
                        new WeightInitXavierUniform().init(p.size(0), p.size(1), p.shape(), 'c', p);
                default -> p.assign(0.0);
            }
        }
    }

    // ---- the graph

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        long[] s = input.getShape();                  // [-1, D, T] or [-1, D, H, W]
        long d = width;
        long t = s.length == 4 ? s[2] * s[3] : s[2];
        long g = groupSize;
        SDVariable seq = s.length == 4 ? sd.reshape(input, -1, d, t) : input;                 // [N, D, T]
        if (g > 1) {
            seq = sd.reshape(sd.permute(sd.reshape(seq, -1, g, d, t), 0, 2, 1, 3), -1, d, g * t);   // [N/G, D, G*T]
        }
        long tokens = g * t;
        SDVariable x = sd.reshape(sd.permute(seq, 0, 2, 1), -1, d);                           // [N*T, D]

        SDVariable dropA = null;
        SDVariable dropM = null;
        if (dropout > 0) {
            dropA = sd.placeHolder(DROP_ATTENTION, input.dataType(), -1, d);
            dropM = sd.placeHolder(DROP_MLP, input.dataType(), -1, d);
        }
        return toInputLayout(sd, block(sd, x, params, tokens, dropA, dropM), s, tokens);
    }

    /** [N*T, D] back to the input's layout. */
    private SDVariable toInputLayout(SameDiff sd, SDVariable y, long[] s, long tokens) {
        long d = width;
        SDVariable seq = sd.permute(sd.reshape(y, -1, tokens, d), 0, 2, 1);                  // [N/G, D, G*T]
        long g = groupSize;
        long t = tokens / g;
        if (g > 1) {
            seq = sd.reshape(sd.permute(sd.reshape(seq, -1, d, g, t), 0, 2, 1, 3), -1, d, t);    // [N, D, T]
        }
        long[] shape = s.length == 4 ? new long[] {-1, d, s[2], s[3]} : new long[] {-1, d, t};
        return sd.reshape(seq, shape);
    }

    private SDVariable block(SameDiff sd, SDVariable x, Map<String, SDVariable> p, long tokens, SDVariable dropA,
            SDVariable dropM) {
        SDVariable att = attention(sd, layerNorm(sd, x, p.get(LN1_GAIN), p.get(LN1_BIAS)), p, tokens);
        SDVariable h = x.add(dropA == null ? att : att.mul(dropA));
        SDVariable a = layerNorm(sd, h, p.get(LN2_GAIN), p.get(LN2_BIAS));
        SDVariable u = sd.mmul(a, p.get(W_1)).add(p.get(B_1));
        SDVariable gelu = u.mul(0.5).mul(sd.math().erf(u.mul(1.0 / Math.sqrt(2.0))).add(1.0));
        SDVariable m = sd.mmul(gelu, p.get(W_2)).add(p.get(B_2));
        return h.add(dropM == null ? m : m.mul(dropM));
    }

    private static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gain, SDVariable bias) {
        SDVariable c = x.sub(x.mean(true, 1));
        SDVariable var = c.mul(c).mean(true, 1);
        return c.div(sd.math().sqrt(var.add(LN_EPS))).mul(gain).add(bias);
    }

    private SDVariable attention(SameDiff sd, SDVariable a, Map<String, SDVariable> p, long tokens) {
        long d = width;
        long hd = d / heads;
        SDVariable q = splitHeads(sd, sd.mmul(a, p.get(W_Q)).add(p.get(B_Q)).mul(1.0 / Math.sqrt(hd)), tokens);
        SDVariable k = splitHeads(sd, sd.mmul(a, p.get(W_K)).add(p.get(B_K)), tokens);
        SDVariable v = splitHeads(sd, sd.mmul(a, p.get(W_V)).add(p.get(B_V)), tokens);
        SDVariable w = sd.nn().softmax(sd.mmul(q, k, false, true, false), 2);               // [N*H, T, T]
        SDVariable ctx = sd.mmul(w, v);                                                      // [N*H, T, d]
        SDVariable merged = sd.reshape(sd.permute(sd.reshape(ctx, -1, heads, tokens, hd), 0, 2, 1, 3), -1, d);
        return sd.mmul(merged, p.get(W_O)).add(p.get(B_O));
    }

    /** [N*T, D] to [N*H, T, D/H]. */
    private SDVariable splitHeads(SameDiff sd, SDVariable y, long tokens) {
        long hd = width / heads;
        return sd.reshape(sd.permute(sd.reshape(y, -1, tokens, heads, hd), 0, 2, 1, 3), -1, tokens, hd);
    }

    // ---- the layer

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return ExactSameDiffLayer.wire(new Impl(conf, networkDataType), this, conf, layerIndex, layerParamsView,
                initializeParams);
    }

    /**
     * The runtime: {@link ExactSameDiffLayer} with host-drawn dropout masks. A training-mode forward pass
     * draws them, the following backward pass reuses them; inference (and backprop after an inference-mode
     * forward pass) feeds masks of ones.
     */
    static final class Impl extends ExactSameDiffLayer {

        private INDArray dropAttention;
        private INDArray dropMlp;
        private INDArray ones;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private TransformerBlock block() {
            return (TransformerBlock) layerConf();
        }

        /** The masks of the last training-mode forward pass, [N*T, D] each (null: none drawn). */
        INDArray[] dropoutMasks() {
            return dropAttention == null ? null : new INDArray[] {dropAttention, dropMlp};
        }

        /** [N*T, D]: one row per token. */
        private long[] maskShape() {
            long d = block().getWidth();
            return new long[] {input.length() / d, d};
        }

        @Override
        protected void beforeForward(boolean training) {
            double p = block().getDropout();
            if (training && p > 0) {
                long[] shape = maskShape();
                try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    dropAttention = Nd4j.rand(dataType, shape).gt(p).castTo(dataType).muli(1.0 / (1.0 - p));
                    dropMlp = Nd4j.rand(dataType, shape).gt(p).castTo(dataType).muli(1.0 / (1.0 - p));
                }
            } else {
                dropAttention = null;
                dropMlp = null;
            }
        }

        @Override
        protected Map<String, INDArray> placeholders(boolean backward) {
            Map<String, INDArray> ph = super.placeholders(backward);
            if (block().getDropout() > 0) {
                long[] shape = maskShape();
                if (dropAttention != null && Arrays.equals(dropAttention.shape(), shape)) {
                    ph.put(DROP_ATTENTION, dropAttention);
                    ph.put(DROP_MLP, dropMlp);
                } else {
                    if (ones == null || !Arrays.equals(ones.shape(), shape)) {
                        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                            ones = Nd4j.ones(dataType, shape);
                        }
                    }
                    ph.put(DROP_ATTENTION, ones);
                    ph.put(DROP_MLP, ones);
                }
            }
            return ph;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransformerBlock other && super.equals(o) && width == other.width
                && heads == other.heads && mlpRatio == other.mlpRatio && dropout == other.dropout
                && groupSize == other.groupSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), width, heads, mlpRatio, dropout, groupSize);
    }
}
