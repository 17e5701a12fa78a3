package dev.pretext.nn;

import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * He/Kaiming normal initialisation in fan-out mode for ReLU, as PyTorch's
 * {@code kaiming_normal_(w, mode="fan_out", nonlinearity="relu")}: N(0, 2 / fan_out) with
 * fan_out = out_channels * kH * kW taken from the weight shape [out, in, kH, kW]. DL4J's own
 * fan-out for convolutions divides by the stride, and its RELU init uses fan-in, so neither matches.
 */
public final class KaimingNormalFanOut implements IWeightInit {

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        long fan = shape[0];
        for (int i = 2; i < shape.length; i++) {
            fan *= shape[i];
        }
        double std = Math.sqrt(2.0 / fan);
        Nd4j.randn(paramView).muli(std);
        return paramView.reshape(order, shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KaimingNormalFanOut;
    }

    @Override
    public int hashCode() {
        return KaimingNormalFanOut.class.hashCode();
    }
}
