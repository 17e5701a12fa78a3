package dev.pretext.method;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.nn.Backbones;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A self-supervised method: one class, with its loss in {@code nn} and its defaults in
 * {@code pretext/methods/<name>.conf}. It declares what an example needs (K views, each with its
 * augmentation recipe), builds its training graph, assembles a {@link MultiDataSet} minibatch, names
 * its per-step hooks (which hold no state: state lives in the graph's parameters, so it is
 * checkpointed, shipped to the workers and resumed with the model) and says which vertex is the
 * encoder to evaluate. The pretrain stage, the batch sources and the trainers contain no method
 * names; instances are configured ({@link Methods#create}) and serialisable, so the batch sources
 * ship them to the executors.
 */
public interface PretextMethod extends Serializable {

    /** The name users select it by ({@code method.name}). */
    String name();

    /** The recipe of every view of an image, in view order (the list's size is K, at least 1). */
    List<ViewRecipe> views(AugmentSpec base);

    /** Rows of a minibatch's image input per source image: K views for the view methods. */
    default int rowsPerImage(AugmentSpec augment) {
        return views(augment).size();
    }

    /** The size {height, width} of the network's image input for images of H x W. */
    default int[] inputSize(AugmentSpec augment, int height, int width) {
        return new int[] {augment.outputHeightFor(height), augment.outputWidthFor(width)};
    }

    /**
     * The view whose random augmentation draw view {@code view} is made from: view k of an image gets
     * the seed {@link dev.pretext.augment.ViewSeeds#seed}(run seed, id, epoch, {@code drawIndex(k)}).
     * The default, {@code view} itself, draws every view independently; views that name the same draw
     * and differ only in what their recipes do after it (e.g. {@link ViewRecipe#withQuarterTurns}) are
     * the same augmented image transformed differently (rotation: one draw in four orientations). An
     * index in [0, K).
     */
    default int drawIndex(int view) {
        return view;
    }

    /** The training graph's configuration (FLOAT, NCHW image input {@link Backbones#INPUT}). */
    ComputationGraphConfiguration configuration(ModelSpec spec, long seed);

    /** The initialised training graph: {@code configuration(spec, seed)}, built, {@code init()}ed and {@link #initialise}d. */
    default ComputationGraph build(ModelSpec spec, long seed) {
        ComputationGraph g = new ComputationGraph(configuration(spec, seed));
        g.init();
        initialise(g);
        return g;
    }

    /** After {@code init()} on a fresh graph (not on a resumed one): e.g. copy the online network into its target twin. */
    default void initialise(ComputationGraph graph) {
    }

    /** Vertex whose activations are the representation to evaluate (frozen features, probes). */
    default String encoderLayer() {
        return Backbones.EMBEDDING;
    }

    /** The layer of {@link #evaluationGraph} whose activations are evaluated (frozen features, probes). */
    default String evaluationLayer() {
        return encoderLayer();
    }

    /**
     * The graph that embeds whole images [N, 3, height, width] for evaluation, with the trained
     * parameters; the default is the training graph itself (its sub-graph up to
     * {@link #evaluationLayer()} is what runs). {@code backbone} and {@code width} are the run's
     * {@code model.*}.
     */
    default ComputationGraph evaluationGraph(ComputationGraph trained, String backbone, double width, int height,
                                             int imageWidth) {
        return trained;
    }

    /**
     * One minibatch from the views of {@code batchSize} images: {@code views[k]} holds view k of
     * every image as float NCHW [batchSize, 3, height, width] (image i at row i). The result is
     * fitted as one minibatch: never split or merged.
     */
    MultiDataSet assemble(float[][] views, int batchSize, int height, int width);

    /**
     * The per-image representations this method reads besides the pixels (descriptor and teacher
     * columns of a descriptors table); {@link Representations#NONE}, the default, for none.
     */
    default Representations representations() {
        return Representations.NONE;
    }

    /**
     * This method with the width of each of its {@link #representations()} columns (known from the
     * descriptors table's manifest only when a run starts), in column order. A method that reads
     * representations cannot build its graph before; one that reads none accepts only no widths.
     */
    default PretextMethod withRepresentationWidths(int[] widths) {
        if (widths.length != representations().columns().size()) {
            throw new IllegalArgumentException(name() + " reads " + representations().columns().size()
                    + " representation columns, got " + widths.length + " widths");
        }
        return this;
    }

    /**
     * As {@link #assemble(float[][], int, int, int)}, with {@code representations[k]} holding column k
     * of {@link #representations()} for every image, row-major [batchSize, width_k] (image i at row i).
     */
    default MultiDataSet assemble(float[][] views, float[][] representations, int batchSize, int height, int width) {
        if (representations != null && representations.length > 0) {
            throw new IllegalArgumentException(name() + " reads no representations, got " + representations.length);
        }
        return assemble(views, batchSize, height, width);
    }

    /** Hooks the trainer runs inside the workers around every minibatch (e.g. the EMA target update). */
    default List<TrainingHook> stepHooks() {
        return List.of();
    }

    /**
     * Why this method cannot be trained correctly by {@code trainer} with {@code workers} workers,
     * naming the alternative; empty when it can. The pretrain stage refuses such a run at start.
     */
    default Optional<String> refusal(String trainer, int workers) {
        if (!stepHooks().isEmpty() && trainer.equals("shared")) {
            return Optional.of("method " + name() + " updates its target network after every step, and"
                    + " train.trainer = shared never runs per-step hooks (DL4J's shared trainer keeps a"
                    + " non-gradient change on one worker): use train.trainer = paramavg");
        }
        return Optional.empty();
    }
}
