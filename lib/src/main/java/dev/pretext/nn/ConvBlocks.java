package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The conv / batch-norm / ReLU layers the backbones are made of. Convolutions run on DL4J's oneDNN
 * helper, as {@link LeanConvolution} layers (DL4J's backward ran each one's forward a second time);
 * batch norm of a feature map, with the ReLU that follows it, is one {@link FusedBatchNorm}
 * layer (DL4J's own batch norm and separate ReLU layer took 3.5x its time: README, "Where a training
 * step goes").
 */
final class ConvBlocks {


    private ConvBlocks() {
    }

    static boolean fused() {
        String v = System.getProperty(FusedBatchNorm.PROPERTY, "fused");
        if (!v.equals("fused") && !v.equals("dl4j")) {
            throw new IllegalArgumentException(FusedBatchNorm.PROPERTY + " is fused or dl4j, got " + v);
        }
        return v.equals("fused");
    }

    static boolean lean() {
        String v = System.getProperty(LeanConvolution.PROPERTY, "lean");
        if (!v.equals("lean") && !v.equals("dl4j")) {
            throw new IllegalArgumentException(LeanConvolution.PROPERTY + " is lean or dl4j, got " + v);
        }
        return v.equals("lean");
    }

    /**
     * Bias-free k x k convolution (BN follows), Kaiming fan-out init, as a {@link LeanConvolution}
     * (DL4J's layer without the second forward in its backward); returns {@code name}.
     */
    static String conv(GraphBuilder g, String name, String input, int out, int kernel, int stride) {
        ConvolutionLayer c = new ConvolutionLayer.Builder(kernel, kernel)
                .stride(stride, stride)
                .nOut(out)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .weightInit(new KaimingNormalFanOut())
                .build();
        g.addLayer(name, lean() ? LeanConvolution.of(c) : c, input);
        return name;
    }

    /** Batch norm of a feature map with PyTorch's defaults (eps 1e-5, momentum 0.1 = DL4J decay 0.9, gamma 1, beta 0). */
    static String bn(GraphBuilder g, String name, String input) {
        if (fused()) {
            g.addLayer(name, FusedBatchNorm.of(false), input);
        } else {
            bn1d(g, name, input);
        }
        return name;
    }

    /** Batch norm of a vector (a projector's hidden layer), DL4J's own layer. */
    static String bn1d(GraphBuilder g, String name, String input) {
        g.addLayer(name, new BatchNormalization.Builder().eps(1e-5).decay(0.9).build(), input);
        return name;
    }

    static String relu(GraphBuilder g, String name, String input) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), input);
        return name;
    }

    /**
     * conv - BN - ReLU, the BN and ReLU one {@link FusedBatchNorm} layer named {@code <prefix>_relu}
     * after its output (the name stage probes and teacher specs use); returns that name.
     */
    static String convBnRelu(GraphBuilder g, String prefix, String input, int out, int stride) {
        String c = conv(g, prefix + "_conv", input, out, 3, stride);
        if (!fused()) {
            return relu(g, prefix + "_relu", bn(g, prefix + "_bn", c));
        }
        g.addLayer(prefix + "_relu", FusedBatchNorm.of(true), c);
        return prefix + "_relu";
    }
}
