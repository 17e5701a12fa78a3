package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The SimCLR projection head, as the PyTorch peer: Linear (no bias) - BN - ReLU - Linear. Weights
 * are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch's Linear default; the last bias
 * starts at 0 (PyTorch draws it from the same uniform; DL4J only has a constant bias init).
 * Layers: {@code proj_fc1}, {@code proj_bn}, {@code proj_relu}, {@code proj_fc2}.
 */
public final class Projector {

    public static final String OUTPUT = "proj_fc2";

    private Projector() {
    }

    /** Adds the head reading {@code input} ([N, inDim]); returns {@link #OUTPUT} ([N, outDim]). */
    public static String addTo(GraphBuilder g, String input, int inDim, int hiddenDim, int outDim) {
        return addTo(g, "proj", input, inDim, hiddenDim, outDim);
    }

    /**
     * The same Linear - BN - ReLU - Linear head under other names ({@code <prefix>_fc1}, {@code
     * <prefix>_bn}, {@code <prefix>_relu}, {@code <prefix>_fc2}): BYOL's, SimSiam's and MSBReg's
     * predictor is this head with prefix {@code pred}. Returns {@code <prefix>_fc2}.
     */
    public static String addTo(GraphBuilder g, String prefix, String input, int inDim, int hiddenDim, int outDim) {
        if (inDim < 1 || hiddenDim < 1 || outDim < 1) {
            throw new IllegalArgumentException("projector sizes must be positive: in " + inDim + ", hidden "
                    + hiddenDim + ", out " + outDim);
        }
        g.addLayer(prefix + "_fc1", linear(inDim, hiddenDim, false), input);
        ConvBlocks.bn1d(g, prefix + "_bn", prefix + "_fc1");
        ConvBlocks.relu(g, prefix + "_relu", prefix + "_bn");
        g.addLayer(prefix + "_fc2", linear(hiddenDim, outDim, true), prefix + "_relu");
        return prefix + "_fc2";
    }

    /**
     * A head of {@code widths.length} linear layers ({@code <prefix>_fc1..n}), each but the last
     * followed by BN and ReLU ({@code <prefix>_bn<i>}, {@code <prefix>_relu<i>}), the last plain
     * linear with a bias: MV-MR's projector (the paper's best: three layers of 8192). Returns the
     * last layer's name.
     */
    public static String addMlp(GraphBuilder g, String prefix, String input, int inDim, int[] widths) {
        if (inDim < 1 || widths.length < 1 || java.util.Arrays.stream(widths).anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException("projector needs inDim >= 1 and at least one positive width: in "
                    + inDim + ", widths " + java.util.Arrays.toString(widths));
        }
        String last = input;
        int in = inDim;
        for (int i = 0; i < widths.length; i++) {
            String fc = prefix + "_fc" + (i + 1);
            boolean end = i == widths.length - 1;
            g.addLayer(fc, linear(in, widths[i], end), last);
            last = fc;
            if (!end) {
                ConvBlocks.bn1d(g, prefix + "_bn" + (i + 1), fc);
                ConvBlocks.relu(g, prefix + "_relu" + (i + 1), prefix + "_bn" + (i + 1));
                last = prefix + "_relu" + (i + 1);
            }
            in = widths[i];
        }
        return last;
    }

    private static DenseLayer linear(int in, int out, boolean bias) {
        double bound = 1.0 / Math.sqrt(in);
        return new DenseLayer.Builder().nIn(in).nOut(out).hasBias(bias)
                .activation(Activation.IDENTITY)
                .weightInit(new UniformDistribution(-bound, bound))
                .build();
    }
}
