package dev.pretext.nn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link LeanConvolution}'s implementation: DL4J's convolution layer, except that the backward pass
 * of an identity-activation NCHW convolution hands the incoming gradient to DL4J's code in place of
 * the recomputed pre-activation output (DL4J computes it only for the activation's backward, and
 * the identity's backward returns the gradient unchanged without reading it). The gradients are
 * DL4J's own, bit for bit; what goes away is one forward convolution per layer and training step.
 *
 * <p>Any other case (another activation, dropout or weight noise on the layer, NHWC) runs DL4J's
 * backward as it is. The second element of the returned pair, DL4J's im2col buffer, is null, which
 * DL4J's built-in (non-oneDNN) backward handles by computing it itself.
 */
public class LeanConvolutionLayer extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    /** The gradient standing in for the pre-activation output during {@link #backpropGradient}. */
    private transient INDArray standIn;
    private transient long recomputes;

    public LeanConvolutionLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!canSkip(epsilon)) {
            recomputes++;
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        standIn = epsilon;
        try {
            return super.backpropGradient(epsilon, workspaceMgr);
        } finally {
            standIn = null;
        }
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput4d(boolean training, boolean forBackprop, LayerWorkspaceMgr workspaceMgr) {
        if (forBackprop && standIn != null) {
            return new Pair<>(standIn, null);
        }
        return super.preOutput4d(training, forBackprop, workspaceMgr);
    }

    private boolean canSkip(INDArray epsilon) {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = layerConf();
        return epsilon != null && epsilon.rank() == 4
                && c.getActivationFn() instanceof ActivationIdentity
                && c.getIDropout() == null && c.getWeightNoise() == null
                && c.getCnn2dDataFormat() == CNN2DFormat.NCHW;
    }

    /** How many backward passes recomputed the forward (DL4J's path: not an identity NCHW convolution). */
    public long recomputes() {
        return recomputes;
    }
}
