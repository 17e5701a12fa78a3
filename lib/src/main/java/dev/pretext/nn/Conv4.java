package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

/**
 * A small, fast encoder for the quickstart and tests: four conv3x3-BN-ReLU blocks with
 * round(32/64/128/256 * width) channels, 2x2 max-pooling between blocks, global average pooling
 * into {@link Backbones#EMBEDDING}. Layer names: {@code c<block>_*}, {@code pool<block>}.
 */
public final class Conv4 implements Backbone {

    private static final int[] BASE = {32, 64, 128, 256};

    @Override
    public String name() {
        return "conv4";
    }

    @Override
    public java.util.List<String> stages() {
        return java.util.List.of("c1_relu", "c2_relu", "c3_relu", "c4_relu");
    }

    @Override
    public int featureDim(double width) {
        return Backbones.channels(BASE[3], width);
    }

    @Override
    public int addTo(GraphBuilder g, String input, double width) {
        String x = input;
        for (int i = 0; i < BASE.length; i++) {
            if (i > 0) {
                String pool = "pool" + i;
                g.addLayer(pool, new SubsamplingLayer.Builder(PoolingType.MAX)
                        .kernelSize(2, 2).stride(2, 2).build(), x);
                x = pool;
            }
            x = ConvBlocks.convBnRelu(g, "c" + (i + 1), x, Backbones.channels(BASE[i], width), 1);
        }
        g.addLayer(Backbones.EMBEDDING, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        return featureDim(width);
    }
}
