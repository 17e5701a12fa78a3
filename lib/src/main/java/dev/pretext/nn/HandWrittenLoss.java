package dev.pretext.nn;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Configuration of an output layer whose loss, score and backprop are plain ND4J code (no SameDiff),
 * for losses that autodiff cannot express (a singular-value loss: M2.1's SameDiff has no SVD gradient)
 * or that own non-trainable state (a MoCo queue, a noise step counter).
 *
 * <p><b>State as parameters.</b> Subclasses declare named state arrays ({@link #stateShapes()}). They are
 * stored as ordinary layer parameters, so {@code ModelSerializer} saves them with the model, Spark ships
 * them to workers, and a resumed run restores them bit-exactly. They are never trained:
 * <ul>
 *   <li>their gradient is exactly zero (the layer zeroes its gradient view on every backprop);
 *   <li>{@link #getUpdaterByParam} is {@link NoOp} for all of them. A NoOp updater applies the RAW
 *       gradient with learning rate 1, so it is the zero gradient, not the updater, that keeps them as the
 *       layer set them;
 *   <li>{@link #getRegularizationByParam} is empty (the network's L1/L2/weight decay never touches them);
 *   <li>{@link #getGradientNormalization} is None (renormalising an all-zero gradient would give NaN);
 *   <li>dropout is never applied to the loss input ({@link #getIDropout} is null).
 * </ul>
 * The layer changes its state in place, during a <em>training</em> backprop only, after it has computed
 * the gradient with the old state ({@link HandWrittenLossLayer}).
 *
 * <p><b>Input, output, score.</b> One feed-forward input [N, nIn]; the activations are the input,
 * unchanged (nOut = nIn). The subclass returns the loss as a SUM over rows: DL4J divides an output layer's
 * score and gradient by the minibatch size N, so the reported score is the per-row mean.
 */
public abstract class HandWrittenLoss extends FeedForwardLayer {

    /** Loss rows and the gradient w.r.t. the layer input. */
    public record Evaluation(double[] rowLosses, INDArray inputGradient) {
        public double sum() {
            double s = 0;
            for (double v : rowLosses) {
                s += v;
            }
            return s;
        }
    }

    protected HandWrittenLoss() {
    }

    /** Names and shapes of the state parameters, in parameter order (the order of the flat view). */
    public abstract LinkedHashMap<String, long[]> stateShapes();

    /**
     * Initialises the state of a freshly built network (not of a restored one). Random draws must come from
     * {@code Nd4j.getRandom()}, which the network has seeded from its configuration seed.
     */
    public abstract void initState(Map<String, INDArray> state);

    /**
     * The loss of each row (summing to the layer's total) and, when {@code withGradient}, the gradient of the
     * total w.r.t. the input [N, nIn] (in the input's data type). Must not change the state.
     */
    public abstract Evaluation evaluate(INDArray input, INDArray labels, Map<String, INDArray> state,
            boolean withGradient);

    /** Advances the state after a training step's gradient was computed with the old state. */
    public abstract void advanceState(INDArray input, INDArray labels, Map<String, INDArray> state);

    /** Checks the input width once it is known (from the input type or the first minibatch). */
    protected abstract void validateInputWidth(long nIn);

    /**
     * Checks the multi-view minibatch layout: N = K*B rows, view k of image i in row k*B + i, labels [N, 1]
     * holding i. A mismatch means DL4J split or merged minibatches, or the batch was assembled wrongly.
     * Returns B.
     */
    protected int checkLayout(INDArray input, INDArray labels, int views, long width) {
        String name = getClass().getSimpleName() + " (layer " + layerName + ")";
        if (input.rank() != 2 || input.size(1) != width) {
            throw new IllegalArgumentException(name + ": expected input [N, " + width + "] = [online | target], got "
                    + java.util.Arrays.toString(input.shape()));
        }
        long n = input.size(0);
        if (n % views != 0 || n / views < 2) {
            throw new IllegalArgumentException(name + ": the minibatch has " + n + " rows, expected K*B rows with K = "
                    + views + " views and B >= 2 images");
        }
        if (labels == null || labels.length() != n) {
            throw new IllegalArgumentException(name + ": expected labels [" + n + ", 1] holding image ids, got "
                    + (labels == null ? "none" : java.util.Arrays.toString(labels.shape())));
        }
        int b = (int) (n / views);
        double[] ids = labels.reshape(n).castTo(DataType.DOUBLE).toDoubleVector();
        for (int r = 0; r < n; r++) {
            if (ids[r] != r % b) {
                throw new IllegalArgumentException(name + ": row " + r + " has image id " + ids[r] + ", expected "
                        + (r % b) + " (view k of image i must be row k*B + i, B = " + b + ", K = " + views
                        + "); was the minibatch split or merged?");
            }
        }
        return b;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
            INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        validateInputWidth(getNIn());
        HandWrittenLossLayer layer = new HandWrittenLossLayer(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> table = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(table);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return HandWrittenLossParamInitializer.INSTANCE;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType == null || inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " (layer " + layerName
                    + ") expects feed-forward input [N, 2D] = [online | target], got " + inputType);
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (inputType == null || inputType.getType() != InputType.Type.FF) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " (layer " + layerName
                    + ") expects feed-forward input [N, 2D] = [online | target], got " + inputType);
        }
        long n = ((InputType.InputTypeFeedForward) inputType).getSize();
        validateInputWidth(n);
        if (nIn <= 0 || override) {
            nIn = n;
            nOut = n;
        }
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return new NoOp();
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return List.of();
    }

    @Override
    public GradientNormalization getGradientNormalization() {
        return GradientNormalization.None;
    }

    @Override
    public IDropout getIDropout() {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long stateSize = 0;
        for (long[] shape : stateShapes().values()) {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            stateSize += n;
        }
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, inputType)
                .standardMemory(stateSize, 0)
                .workingMemory(0, 0, MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }
}
