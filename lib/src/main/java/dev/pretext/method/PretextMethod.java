package dev.pretext.method;

import dev.pretext.nn.Backbones;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A self-supervised method: how to build its training graph (shared backbone, heads, loss layer),
 * how to assemble a minibatch from augmented views, and which vertex is the encoder to evaluate.
 * Methods never talk to Spark; trainers never know which method they train.
 */
public interface PretextMethod {

    /** The name users select it by, e.g. {@code simclr}. */
    String name();

    /** The training graph's configuration (FLOAT, NCHW input {@link Backbones#INPUT}). */
    ComputationGraphConfiguration configuration(ModelSpec spec, long seed);

    /** The initialised training graph: {@code configuration(spec, seed)}, built and {@code init()}ed. */
    default ComputationGraph build(ModelSpec spec, long seed) {
        ComputationGraph g = new ComputationGraph(configuration(spec, seed));
        g.init();
        return g;
    }

    /** Vertex whose activations are the representation to evaluate (frozen features, probes). */
    default String encoderLayer() {
        return Backbones.EMBEDDING;
    }

    /**
     * Assembles one minibatch from two augmented views of the same {@code batchSize} source images,
     * each a float[] NCHW tensor [batchSize, 3, height, width] with image i's view at row i in both.
     * The result must be fitted as one minibatch: never split or merged (see {@link
     * dev.pretext.nn.PairIds#check}).
     */
    DataSet assemble(float[] viewA, float[] viewB, int batchSize, int height, int width);
}
