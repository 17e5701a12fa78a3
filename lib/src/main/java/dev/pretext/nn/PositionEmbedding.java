package dev.pretext.nn;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
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
 * Learned position embeddings for a sequence of T tokens of width D, optionally with a learned [IMG]
 * token prepended (DV2/Selfie's image position, ViT's class token): the input of a stack of
 * {@link TransformerBlock}s.
 * <pre>
 *   out = concat_t([IMG], x_1 .. x_T) + P        (with the token: T' = T + 1, the [IMG] token at t = 0)
 *   out = x + P                                  (without: T' = T)
 * </pre>
 * P [D, T'] and [IMG] [D] are parameters, initialised N(0, {@value #INIT_STD}^2) as timm's ViT (whose
 * truncation at +-2 is 100 standard deviations away); both are DL4J "bias" parameters (no weight decay from
 * the network's non-bias regularisation, as timm's {@code no_weight_decay}).
 *
 * <p>Input: tokens NCW [N, D, T] ({@code InputType.recurrent(D[, T])}), or feed-forward [N, T*D] token-major
 * (feature {@code t*D + d}: T token vectors concatenated, e.g. patch codes [B*T, D] reshaped to [B, T*D]
 * with a 'c' {@code ReshapeVertex}). Output: NCW [N, D, T'] ({@code InputType.recurrent(D, T')}), what
 * {@link TransformerBlock} takes. T is a setting ({@code length}) because P has one column per position.
 * Runs on {@link ExactSameDiffLayer} (DL4J M2.1's own SameDiff layer runtime doubles gradients).
 *
 * <p>In DV2/Selfie, masked patches can enter as zero codes (so their tokens carry only their position) and
 * the loss reads the transformer's outputs at those positions; a learned [MASK] vector is not provided.
 */
public class PositionEmbedding extends SameDiffLayer {

    static final String NAME = "PositionEmbedding";
    public static final String POSITIONS = "pos";
    public static final String IMAGE_TOKEN = "img";
    public static final double INIT_STD = 0.02;

    private long width;
    private int length;
    private boolean imageToken;

    /** For JSON deserialisation. */
    public PositionEmbedding() {
    }

    /**
     * @param length     T, the number of input tokens
     * @param imageToken whether to prepend a learned [IMG] token (output T + 1 tokens)
     */
    public PositionEmbedding(int length, boolean imageToken) {
        setLength(length);
        setImageToken(imageToken);
    }

    public long getWidth() {
        return width;
    }

    public void setWidth(long width) {
        if (width < 1) {
            throw new IllegalArgumentException(NAME + ": width D must be >= 1, got " + width);
        }
        this.width = width;
    }

    public int getLength() {
        return length;
    }

    public void setLength(int length) {
        if (length < 1) {
            throw new IllegalArgumentException(NAME + ": length T (input tokens) must be >= 1, got " + length);
        }
        this.length = length;
    }

    public boolean isImageToken() {
        return imageToken;
    }

    public void setImageToken(boolean imageToken) {
        this.imageToken = imageToken;
    }

    /** T', the output's token count. */
    public int outputLength() {
        return length + (imageToken ? 1 : 0);
    }

    private long widthOf(InputType inputType) {
        if (length < 1) {
            throw new IllegalArgumentException(NAME + ": length T (input tokens) must be set (>= 1)");
        }
        if (inputType instanceof InputType.InputTypeFeedForward ff) {
            if (ff.getSize() % length != 0) {
                throw new IllegalArgumentException(NAME + ": feed-forward input [N, T*D] must have a multiple of"
                        + " T = " + length + " features, got " + ff.getSize());
            }
            return ff.getSize() / length;
        }
        if (inputType instanceof InputType.InputTypeRecurrent r) {
            if (r.getFormat() != RNNFormat.NCW) {
                throw new IllegalArgumentException(NAME + " expects recurrent input in NCW layout [N, D, T], got "
                        + r.getFormat());
            }
            if (r.getTimeSeriesLength() > 0 && r.getTimeSeriesLength() != length) {
                throw new IllegalArgumentException(NAME + ": input has " + r.getTimeSeriesLength()
                        + " tokens, the layer has length T = " + length);
            }
            return r.getSize();
        }
        throw new IllegalArgumentException(NAME + " expects tokens [N, D, T] (InputType.recurrent) or [N, T*D]"
                + " token-major (InputType.feedForward), got " + inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        long d = widthOf(inputType);
        if (width > 0 && width != d && !override) {
            throw new IllegalArgumentException(NAME + ": width D = " + width + " was set but the input has " + d
                    + " features per token (" + inputType + ")");
        }
        setWidth(d);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.recurrent(widthOf(inputType), outputLength(), RNNFormat.NCW);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    /** The parameter shapes, (re)defined when a setting changed since they were cached. */
    @Override
    public SDLayerParams getLayerParams() {
        if (width <= 0 || length <= 0) {
            return new SDLayerParams();
        }
        SDLayerParams p = super.getLayerParams();
        Map<String, long[]> shapes = p.getParamShapes();
        if (!Arrays.equals(shapes.get(POSITIONS), new long[] {1, width, outputLength()})
                || shapes.containsKey(IMAGE_TOKEN) != imageToken) {
            setLayerParams(null);
            p = super.getLayerParams();
        }
        return p;
    }

    @Override
    public void validateInput(INDArray input) {
        long[] s = input.shape();
        boolean ok = (s.length == 2 && s[1] == width * length) || (s.length == 3 && s[1] == width && s[2] == length);
        if (!ok) {
            throw new IllegalArgumentException(NAME + ": input must be [N, D, T] = [N, " + width + ", " + length
                    + "] or [N, T*D] = [N, " + width * length + "], got " + Arrays.toString(s));
        }
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addBiasParam(POSITIONS, 1, width, outputLength());
        if (imageToken) {
            params.addBiasParam(IMAGE_TOKEN, 1, width, 1);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (INDArray p : params.values()) {
            p.assign(Nd4j.randn(p.dataType(), p.shape()).muli(INIT_STD));
        }
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable x = input.getShape().length == 2
                ? sd.permute(sd.reshape(input, -1, length, width), 0, 2, 1)                  // [N, D, T]
                : input;
        if (imageToken) {
            SDVariable first = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1));   // [N, D, 1]
            x = sd.concat(2, sd.zerosLike(first).add(params.get(IMAGE_TOKEN)), x);
        }
        return x.add(params.get(POSITIONS));
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return ExactSameDiffLayer.wire(new ExactSameDiffLayer(conf, networkDataType), this, conf, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PositionEmbedding other && super.equals(o) && width == other.width
                && length == other.length && imageToken == other.imageToken;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), width, length, imageToken);
    }
}
