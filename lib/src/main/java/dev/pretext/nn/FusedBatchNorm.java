package dev.pretext.nn;

import java.util.Collection;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch normalisation of a convolutional feature map, optionally followed by ReLU in the same layer
 * ({@link FusedBatchNormLayer} does the work). Configuration, parameters (gamma, beta, running mean
 * and variance), their updaters (running statistics move by DL4J's NoOp-updater rule) and their
 * serialisation are those of DL4J's {@link BatchNormalization}, which this class extends; only the
 * layer implementation differs.
 *
 * <p>Why: on a 4-d NCHW input DL4J M2.1's batch norm (oneDNN helper) took 35 % of a resnet18-cifar
 * SimCLR step on this project's machine, 7x PyTorch's time for the same layers (README, "Where a
 * training step goes"); the separate ReLU layer copied its input and took another 7 %.
 * {@link FusedBatchNormLayer} computes the same function with a handful of passes over the
 * activations.
 */
public class FusedBatchNorm extends BatchNormalization {
    private static final long serialVersionUID = 1L;

    /**
     * System property read when a backbone is built: {@code dl4j} builds feature-map batch norm and
     * ReLU as DL4J's own BatchNormalization and ActivationLayer layers (as before this class), for
     * side-by-side measurements ({@code bin/pretext bench profile --compare-batch-norm}); default {@code fused}.
     */
    public static final String PROPERTY = "pretext.nn.batch-norm";

    private boolean relu;

    /** For JSON; use {@link #of}. */
    public FusedBatchNorm() {
    }

    /**
     * PyTorch's defaults (eps 1e-5, momentum 0.1 = DL4J decay 0.9, gamma 1, beta 0); the running
     * variance stored as DL4J stores it by default (log10 std); with ReLU applied to the output when {@code relu}.
     */
    public static FusedBatchNorm of(boolean relu) {
        BatchNormalization template = new BatchNormalization.Builder().eps(1e-5).decay(0.9).build();
        FusedBatchNorm f = LayerConfCopy.copy(BatchNormalization.class, template, new FusedBatchNorm());
        f.relu = relu;
        return f;
    }

    /** Whether ReLU follows the normalisation inside this layer. */
    public boolean isRelu() {
        return relu;
    }

    public void setRelu(boolean relu) {
        this.relu = relu;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        FusedBatchNormLayer ret = new FusedBatchNormLayer(conf, networkDataType);
        ret.setListeners(listeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public FusedBatchNorm clone() {
        return (FusedBatchNorm) super.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedBatchNorm f && f.relu == relu && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(relu);
    }

    @Override
    public String toString() {
        return "FusedBatchNorm(relu=" + relu + ", " + super.toString() + ")";
    }
}
