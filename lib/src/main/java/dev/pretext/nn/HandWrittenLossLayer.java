package dev.pretext.nn;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The network-side implementation of a {@link HandWrittenLoss}: forward is the identity, score and
 * backprop delegate to the configuration's plain ND4J code, and state parameters get a zero gradient.
 *
 * <p><b>When the state advances.</b> Only in {@link #backpropGradient} (the training path of
 * {@code ComputationGraph.fit}/{@code computeGradientAndScore}), after the gradient was computed with the old
 * state, and only while {@link #isStateFrozen()} is false. Score-only calls ({@code score(ds, training)}),
 * inference ({@code output}) and {@code computeScoreForExamples} never change it.
 *
 * <p>DL4J computes the output layer's score <em>after</em> its backprop. So that the reported training
 * score is the loss the gradient belongs to (old state), backprop keeps its score and the next
 * {@link #computeScore} for the same input and labels returns it (once).
 *
 * <p><b>Gradient checks.</b> {@code GradientCheckUtil} calls {@code computeGradientAndScore} once and then
 * scores perturbed copies: call {@link #setStateFrozen(boolean) setStateFrozen(true)} before a check so that
 * its one backprop does not advance the state (the flag is not serialised; a built or restored layer starts
 * unfrozen). State that the score depends on (the MoCo queue) must also be listed in the check's
 * {@code excludeParams}: its analytic gradient is zero by design.
 */
public class HandWrittenLossLayer extends BaseLayer<HandWrittenLoss> implements IOutputLayer {

    private INDArray labels;
    private boolean stateFrozen;

    /** The score of the last backprop, and the arrays it belongs to, for the computeScore that follows it. */
    private Double backpropScore;
    private INDArray backpropInput;
    private INDArray backpropLabels;

    public HandWrittenLossLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    public boolean isStateFrozen() {
        return stateFrozen;
    }

    /** While frozen, training backprops compute gradients but do not advance the state. */
    public void setStateFrozen(boolean frozen) {
        this.stateFrozen = frozen;
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    private void requireInputAndLabels() {
        if (input == null || labels == null) {
            throw new IllegalStateException("Cannot compute the loss without input and labels " + layerId());
        }
    }

    private Map<String, INDArray> state() {
        return params == null ? Map.of() : params;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, input);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        requireInputAndLabels();
        HandWrittenLoss.Evaluation ev = layerConf().evaluate(input, labels, state(), true);
        Gradient gradient = new DefaultGradient(gradientsFlattened);
        if (gradientViews != null) {
            for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
                e.getValue().assign(0);
                gradient.gradientForVariable().put(e.getKey(), e.getValue());
            }
        }
        INDArray delta = workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD,
                ev.inputGradient().castTo(input.dataType()));
        backpropScore = ev.sum();
        backpropInput = input;
        backpropLabels = labels;
        if (!stateFrozen) {
            layerConf().advanceState(input, labels, state());
        }
        this.gradient = gradient;
        return new Pair<>(gradient, delta);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        requireInputAndLabels();
        double sum;
        if (backpropScore != null && backpropInput == input && backpropLabels == labels) {
            sum = backpropScore;
        } else {
            sum = layerConf().evaluate(input, labels, state(), false).sum();
        }
        backpropScore = null;
        backpropInput = null;
        backpropLabels = null;
        this.score = sum / getInputMiniBatchSize() + fullNetRegTerm;
        return score;
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        requireInputAndLabels();
        double[] rows = layerConf().evaluate(input, labels, state(), false).rowLosses();
        INDArray out = Nd4j.create(rows, new long[] {rows.length, 1}, DataType.DOUBLE).castTo(dataType);
        if (fullNetRegTerm != 0.0) {
            out.addi(fullNetRegTerm);
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public void computeGradientAndScore(LayerWorkspaceMgr workspaceMgr) {
        Pair<Gradient, INDArray> pair = backpropGradient(null, workspaceMgr);
        this.gradient = pair.getFirst();
        computeScore(0.0, true, workspaceMgr);
    }

    @Override
    public Pair<Gradient, Double> gradientAndScore() {
        return new Pair<>(gradient(), score());
    }

    @Override
    public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        super.setInput(input, workspaceMgr);
        backpropScore = null;
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0.0; // state parameters are never regularised
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public boolean hasBias() {
        return false;
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public void clearNoiseWeightParams() {
        // no weight noise
    }

    @Override
    public void clear() {
        super.clear();
        labels = null;
        backpropScore = null;
        backpropInput = null;
        backpropLabels = null;
    }

    private UnsupportedOperationException notAClassifier() {
        return new UnsupportedOperationException(getClass().getSimpleName()
                + " is a self-supervised loss, not a classifier: fit the network that holds it " + layerId());
    }

    @Override
    public double f1Score(DataSet data) {
        throw notAClassifier();
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw notAClassifier();
    }

    @Override
    public int numLabels() {
        throw notAClassifier();
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw notAClassifier();
    }

    @Override
    public int[] predict(INDArray examples) {
        throw notAClassifier();
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw notAClassifier();
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw notAClassifier();
    }

    @Override
    public void fit(DataSet data) {
        throw notAClassifier();
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw notAClassifier();
    }
}
