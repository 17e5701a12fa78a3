package dev.pretext.nn;

import java.util.Collection;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's 2-d convolution layer, configuration, parameters and serialisation unchanged, whose
 * backward pass does not run the forward convolution a second time ({@link LeanConvolutionLayer}).
 *
 * <p>Why: DL4J M2.1's {@code ConvolutionLayer.backpropGradient} recomputes the layer's
 * pre-activation output (a whole forward convolution, with oneDNN's layout reorders around it) only
 * to pass it to the activation function's backward, which for the identity activation ignores it.
 * Backbones use identity convolutions (batch norm and ReLU follow), so every training step paid
 * for each convolution's forward twice (README, "Where a training step goes").
 */
public class LeanConvolution extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    /**
     * System property read when a backbone is built: {@code dl4j} builds DL4J's own convolution layer
     * (for side-by-side measurements, {@code bin/pretext bench profile --compare-convolution}); default {@code lean}.
     */
    public static final String PROPERTY = "pretext.nn.convolution";

    /** For JSON; use {@link #of}. */
    public LeanConvolution() {
    }

    /** The same layer as {@code template} (built with DL4J's builder), with this class's implementation. */
    public static LeanConvolution of(ConvolutionLayer template) {
        return LayerConfCopy.copy(ConvolutionLayer.class, template, new LeanConvolution());
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("LeanConvolution", getLayerName(), layerIndex, getNIn(), getNOut());
        LeanConvolutionLayer ret = new LeanConvolutionLayer(conf, networkDataType);
        ret.setListeners(listeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public LeanConvolution clone() {
        return (LeanConvolution) super.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LeanConvolution && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 7;
    }

    @Override
    public String toString() {
        return "LeanConvolution(" + super.toString() + ")";
    }
}
