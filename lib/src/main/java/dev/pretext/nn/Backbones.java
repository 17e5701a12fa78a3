package dev.pretext.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.pretext.UserError;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/** The backbones by name, and the graph conventions they share. */
public final class Backbones {

    /** Name of the image input vertex of every graph built here: NCHW [N, 3, H, W]. */
    public static final String INPUT = "input";
    /** Name of the vertex holding the pooled backbone features [N, featureDim]: the encoder output. */
    public static final String EMBEDDING = "embedding";
    public static final int CHANNELS = 3;

    private static final Map<String, Backbone> ALL = new LinkedHashMap<>();

    static {
        for (Backbone b : List.of(new ResNet18Cifar(), new Conv4())) {
            ALL.put(b.name(), b);
        }
    }

    private Backbones() {
    }

    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /** @throws UserError for an unknown name, listing the valid ones */
    public static Backbone get(String name) {
        Backbone b = ALL.get(name);
        if (b == null) {
            throw new UserError("unknown backbone '" + name + "'; valid backbones: " + String.join(", ", names()));
        }
        return b;
    }

    /**
     * Channel count {@code max(1, round(base * width))} with Python's round-half-to-even, so that
     * widths match the PyTorch peer's at every multiplier.
     */
    public static int channels(int base, double width) {
        if (!(width > 0) || Double.isInfinite(width)) {
            throw new IllegalArgumentException("width multiplier must be a positive finite number, got " + width);
        }
        return (int) Math.max(1, Math.rint(base * width));
    }

    /**
     * Graph-wide settings shared by every network: FLOAT (or DOUBLE for gradient checks), NCHW, Same
     * convolution mode, workspaces on. (Layers fall back to the built-in path if a oneDNN helper fails:
     * DL4J's per-layer default.)
     */
    public static NeuralNetConfiguration.Builder defaults(long seed, IUpdater updater, DataType dataType) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(updater)
                .convolutionMode(ConvolutionMode.Same)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED);
    }

    /** Starts a graph with the image input {@link #INPUT} of the given size. */
    public static GraphBuilder imageGraph(NeuralNetConfiguration.Builder defaults, int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("input size must be positive, got " + height + "x" + width);
        }
        return defaults.graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(height, width, CHANNELS, CNN2DFormat.NCHW));
    }

    /**
     * The vertex a probe layer name means: {@code stage1}..{@code stageN} the end of that stage of
     * the backbone, {@code embedding} the pooled features, anything else a vertex name as it is.
     */
    public static String layer(String backbone, String name) {
        if (name.matches("stage[0-9]+")) {
            java.util.List<String> stages = get(backbone).stages();
            int i = Integer.parseInt(name.substring(5));
            if (i < 1 || i > stages.size()) {
                throw new UserError("eval.layers: " + backbone + " has stages 1.." + stages.size() + ", not " + name);
            }
            return stages.get(i - 1);
        }
        return name;
    }

    /** A graph holding only the backbone, with {@link #EMBEDDING} as its (non-trainable) output. */
    public static ComputationGraphConfiguration encoderOnly(String name, double width, int height, int imageWidth,
            long seed, IUpdater updater) {
        GraphBuilder g = imageGraph(defaults(seed, updater, DataType.FLOAT), height, imageWidth);
        get(name).addTo(g, INPUT, width);
        return g.setOutputs(EMBEDDING).build();
    }
}
