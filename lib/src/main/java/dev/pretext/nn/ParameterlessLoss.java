package dev.pretext.nn;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The common part of the batch-coupled losses written in SameDiff ({@link NtXentLoss},
 * {@link CrossViewCosineLoss}, {@link BarlowTwinsLoss}, {@link VicRegLoss}): an output layer with no
 * parameters whose activations are its input, on feed-forward input [N, D]. Subclasses define the
 * loss ({@code defineLayer}, returning the SUM over rows: DL4J divides by the minibatch size) and
 * keep a no-arg constructor with bean accessors for JSON.
 */
public abstract class ParameterlessLoss extends SameDiffOutputLayer {

    /** The name errors give, e.g. {@code NT-Xent}. */
    protected abstract String lossName();

    /**
     * The check run on the host before every score and gradient (a broken batch cannot be told
     * from a good one inside the SameDiff graph); null, the default, for none.
     */
    protected ViewBlocks.Check batchCheck() {
        return null;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        ViewBlocks.Check check = batchCheck();
        if (check == null) {
            return super.instantiate(conf, trainingListeners, layerIndex, layerParamsView, initializeParams,
                    networkDataType);
        }
        return ViewBlocks.checkedLayer(this, conf, trainingListeners, layerIndex, layerParamsView, initializeParams,
                networkDataType, check);
    }

    /** The layer's activations are its input, unchanged: the projections. */
    @Override
    public String activationsVertexName() {
        return "input";
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // no parameters
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // no parameters
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException(lossName() + " expects feed-forward input [N, D], got " + inputType);
        }
        return inputType;
    }
}
