package dev.pretext.train;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * An updater plus the weight regularisation that goes with it. DL4J keeps the two apart (the
 * updater on the layer, weight decay as a regularisation), so a network builder needs both:
 * {@link #applyTo(NeuralNetConfiguration.Builder)}. Biases are never decayed.
 */
public record Optimizer(String name, IUpdater updater, List<Regularization> regularization) {
    public Optimizer {
        regularization = List.copyOf(regularization);
    }

    public NeuralNetConfiguration.Builder applyTo(NeuralNetConfiguration.Builder builder) {
        builder.updater(updater);
        // Through the builder's own setters: handing it a list via regularization(List) made DL4J
        // M2.1 apply every entry twice to each layer.
        for (Regularization r : regularization) {
            if (r instanceof L2Regularization l2) {
                builder.l2(l2.getL2().valueAt(0, 0));
            } else if (r instanceof WeightDecay wd) {
                builder.weightDecay(wd.getCoeff().valueAt(0, 0), wd.isApplyLR());
            } else {
                throw new IllegalArgumentException("unsupported regularization " + r);
            }
        }
        return builder;
    }

    /**
     * Removes repeated regularisation entries from every layer of {@code conf}, in place, and returns
     * how many it removed. Call it on a built configuration before creating the network.
     *
     * <p>Why: DL4J M2.1's graph builder merges the global regularisation into each layer once when
     * the layer is added and again when the graph is built; the merge skips an L1/L2 already present
     * but not a {@link WeightDecay}, so a global weight decay ends up twice in every layer's list and
     * is applied twice per step.
     */
    public static int dedupeRegularization(ComputationGraphConfiguration conf) {
        int removed = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof BaseLayer layer) {
                removed += dedupe(layer.getRegularization(), layer::setRegularization);
                removed += dedupe(layer.getRegularizationBias(), layer::setRegularizationBias);
            }
        }
        return removed;
    }

    private static int dedupe(List<Regularization> list, java.util.function.Consumer<List<Regularization>> setter) {
        if (list == null || list.size() < 2) {
            return 0;
        }
        List<Regularization> unique = new java.util.ArrayList<>(new java.util.LinkedHashSet<>(list));
        int removed = list.size() - unique.size();
        if (removed > 0) {
            setter.accept(unique);
        }
        return removed;
    }
}
