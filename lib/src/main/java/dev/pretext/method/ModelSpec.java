package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.nn.Backbones;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * What every method needs to build its training graph (a method's own settings, such as a
 * temperature, are its {@code method.<name>.*} keys, not here). Validated on construction; errors name the field.
 *
 * @param backbone         a name from {@link Backbones#names()}
 * @param width            channel width multiplier (1.0 = the published widths)
 * @param inputHeight      image height in pixels
 * @param inputWidth       image width in pixels
 * @param projectionDim    output size of the projection head (SimCLR: 128)
 * @param projectionHidden hidden size of the projection head; 0 = the backbone's feature dimension
 * @param updater          DL4J optimiser with its learning rate, e.g. {@code new Adam(1e-3)}
 * @param weightDecay      L2 coefficient on weights (coupled, as PyTorch's {@code weight_decay}); 0 = none
 */
public record ModelSpec(String backbone, double width, int inputHeight, int inputWidth, int projectionDim,
        int projectionHidden, IUpdater updater, double weightDecay) {

    public static final int DEFAULT_PROJECTION_DIM = 128;

    public ModelSpec {
        Backbones.get(backbone);
        if (!(width > 0) || Double.isInfinite(width)) {
            throw new UserError("model width must be a positive number, got " + width);
        }
        if (inputHeight < 1 || inputWidth < 1) {
            throw new UserError("model input size must be positive, got " + inputHeight + "x" + inputWidth);
        }
        if (projectionDim < 1) {
            throw new UserError("model projection dimension must be >= 1, got " + projectionDim);
        }
        if (projectionHidden < 0) {
            throw new UserError("model projection hidden size must be >= 0 (0 = backbone feature size), got "
                    + projectionHidden);
        }
        if (updater == null) {
            throw new UserError("model updater (optimiser) is missing");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserError("model weight decay must be >= 0, got " + weightDecay);
        }
    }

    /** Defaults: 128-d projection, hidden = feature dimension, no weight decay. */
    public static ModelSpec of(String backbone, double width, int inputHeight, int inputWidth, IUpdater updater) {
        return new ModelSpec(backbone, width, inputHeight, inputWidth, DEFAULT_PROJECTION_DIM, 0, updater, 0.0);
    }

    /** The projection head's hidden size, resolving 0 to the backbone's feature dimension. */
    public int resolvedProjectionHidden() {
        return projectionHidden > 0 ? projectionHidden : Backbones.get(backbone).featureDim(width);
    }

    /** The graph-wide settings of a method's graph: {@link Backbones#defaults}, plus L2 = weight decay when > 0. */
    public org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder defaults(long seed) {
        org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder d = Backbones.defaults(seed, updater(),
                org.nd4j.linalg.api.buffer.DataType.FLOAT);
        if (weightDecay() > 0) {
            d.l2(weightDecay());
        }
        return d;
    }

    /**
     * The start every method's graph shares: the image input of this size and the backbone up to
     * {@link Backbones#EMBEDDING} ({@link #featureDim()} wide).
     */
    public org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder backboneGraph(long seed) {
        org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder g =
                Backbones.imageGraph(defaults(seed), inputHeight(), inputWidth());
        Backbones.get(backbone()).addTo(g, Backbones.INPUT, width());
        return g;
    }

    /** The width of the backbone's embedding. */
    public int featureDim() {
        return Backbones.get(backbone()).featureDim(width());
    }
}
