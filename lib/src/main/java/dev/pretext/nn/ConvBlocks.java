package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The conv / batch-norm / ReLU layers the backbones are made of, each of a kind that has a oneDNN
 * helper (ReLU is a separate layer because DL4J's BatchNormalization applies no activation).
 */
final class ConvBlocks {

    private ConvBlocks() {
    }

    /** Bias-free k x k convolution (BN follows), Kaiming fan-out init; returns {@code name}. */
    static String conv(GraphBuilder g, String name, String input, int out, int kernel, int stride) {
        g.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel)
                .stride(stride, stride)
                .nOut(out)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .weightInit(new KaimingNormalFanOut())
                .build(), input);
        return name;
    }

    /** Batch norm with PyTorch's defaults (eps 1e-5, momentum 0.1 = DL4J decay 0.9, gamma 1, beta 0). */
    static String bn(GraphBuilder g, String name, String input) {
        g.addLayer(name, new BatchNormalization.Builder().eps(1e-5).decay(0.9).build(), input);
        return name;
    }

    static String relu(GraphBuilder g, String name, String input) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), input);
        return name;
    }

    /** conv - BN - ReLU; returns the ReLU's name. */
    static String convBnRelu(GraphBuilder g, String prefix, String input, int out, int stride) {
        String c = conv(g, prefix + "_conv", input, out, 3, stride);
        String b = bn(g, prefix + "_bn", c);
        return relu(g, prefix + "_relu", b);
    }
}
