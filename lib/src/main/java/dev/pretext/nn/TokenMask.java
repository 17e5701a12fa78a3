package dev.pretext.nn;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
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

/**
 * Masks tokens given as data: input [N, D + 1] (a {@code MergeVertex} of the tokens [N, D] and a keep
 * column [N, 1] fed as a graph input), output [N, D] = tokens * keep. With keep 0 a masked patch
 * enters a transformer as a zero code, so its token carries only its position (Selfie, DV2); the
 * gradient reaches the kept tokens only. No parameters. DL4J's {@code ElementWiseVertex} cannot do
 * this (it wants equal shapes), and a DL4J mask array would travel into the convolutions before it.
 */
public class TokenMask extends SameDiffLayer {

    static final String NAME = "TokenMask";
    private long width;

    /** For JSON deserialisation; D comes from the input type. */
    public TokenMask() {
    }

    public long getWidth() {
        return width;
    }

    public void setWidth(long width) {
        if (width < 1) {
            throw new IllegalArgumentException(NAME + ": the token width D must be >= 1, got " + width);
        }
        this.width = width;
    }

    private static long widthOf(InputType t) {
        if (!(t instanceof InputType.InputTypeFeedForward ff) || ff.getSize() < 2) {
            throw new IllegalArgumentException(NAME + " expects feed-forward input [N, D + 1] (tokens, then the keep"
                    + " column), got " + t);
        }
        return ff.getSize() - 1;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        setWidth(widthOf(inputType));
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(widthOf(inputType));
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 2 || input.size(1) != width + 1) {
            throw new IllegalArgumentException(NAME + ": input must be [N, D + 1] = [N, " + (width + 1) + "], got "
                    + java.util.Arrays.toString(input.shape()));
        }
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // none
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // none
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable tokens = input.get(SDIndex.all(), SDIndex.interval(0L, width));
        SDVariable keep = input.get(SDIndex.all(), SDIndex.interval(width, width + 1));
        return tokens.mul(keep);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return ExactSameDiffLayer.wire(new ExactSameDiffLayer(conf, networkDataType), this, conf, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenMask other && super.equals(o) && width == other.width;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), width);
    }
}
