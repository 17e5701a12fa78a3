package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;

/**
 * ResNet-18, CIFAR variant, as the PyTorch peer ({@code ResNet18Cifar}): 3x3 stride-1 stem without
 * bias + BN + ReLU and no max-pool; four stages of two BasicBlocks with widths
 * round(64/128/256/512 * width), stride 2 at the first block of stages 2-4; a 1x1 conv + BN
 * projection shortcut where the shape changes; global average pooling into
 * {@link Backbones#EMBEDDING}. Layer names: {@code stem_*}, {@code s<stage>b<block>_*}.
 *
 * <p>Convolutions use DL4J's Same mode: for stride 2 on an even size it pads 0 before and 1 after
 * (PyTorch's padding=1 pads 1 on both sides), the same output size with a one-pixel shift.
 */
public final class ResNet18Cifar implements Backbone {

    private static final int[] BASE = {64, 128, 256, 512};

    @Override
    public String name() {
        return "resnet18-cifar";
    }

    @Override
    public java.util.List<String> stages() {
        return java.util.List.of("s1b2_out", "s2b2_out", "s3b2_out", "s4b2_out");
    }

    @Override
    public int featureDim(double width) {
        return Backbones.channels(BASE[3], width);
    }

    @Override
    public int addTo(GraphBuilder g, String input, double width) {
        int[] w = new int[BASE.length];
        for (int i = 0; i < BASE.length; i++) {
            w[i] = Backbones.channels(BASE[i], width);
        }
        String x = ConvBlocks.convBnRelu(g, "stem", input, w[0], 1);
        int in = w[0];
        for (int stage = 0; stage < w.length; stage++) {
            int stride = stage == 0 ? 1 : 2;
            x = basicBlock(g, "s" + (stage + 1) + "b1", x, in, w[stage], stride);
            x = basicBlock(g, "s" + (stage + 1) + "b2", x, w[stage], w[stage], 1);
            in = w[stage];
        }
        g.addLayer(Backbones.EMBEDDING, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        return w[3];
    }

    private static String basicBlock(GraphBuilder g, String p, String input, int in, int out, int stride) {
        String y = ConvBlocks.convBnRelu(g, p + "_a", input, out, stride);
        y = ConvBlocks.bn(g, p + "_b_bn", ConvBlocks.conv(g, p + "_b_conv", y, out, 3, 1));
        String shortcut = input;
        if (stride != 1 || in != out) {
            shortcut = ConvBlocks.bn(g, p + "_sc_bn", ConvBlocks.conv(g, p + "_sc_conv", input, out, 1, stride));
        }
        g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), y, shortcut);
        return ConvBlocks.relu(g, p + "_out", p + "_add");
    }
}
