package dev.pretext.train;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * An updater plus the weight regularisation that goes with it. DL4J keeps the two apart (the
 * updater on the layer, weight decay as a regularisation). The regularisation is set on the layers
 * of a built configuration ({@link #applyTo(ComputationGraphConfiguration)}), not through the
 * builder: DL4J M2.1's graph builder merges a global {@link WeightDecay} into each layer twice (once
 * when the layer is added, again at build), so it would be applied twice per step.
 */
public record Optimizer(String name, IUpdater updater, List<Regularization> regularization) {
    public Optimizer {
        regularization = List.copyOf(regularization);
    }

    /**
     * Weight decay, exactly once, on the weights of every parameterised layer of a built
     * configuration; never on biases, and never on frozen vertices (a target twin moves only by EMA).
     * Returns {@code conf}.
     */
    public ComputationGraphConfiguration applyTo(ComputationGraphConfiguration conf) {
        if (regularization.isEmpty()) {
            return conf;
        }
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof BaseLayer layer) {
                layer.setRegularization(new java.util.ArrayList<>(regularization));
                layer.setRegularizationBias(new java.util.ArrayList<>());
            }
        }
        return conf;
    }
}
