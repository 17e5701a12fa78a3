package dev.pretext.nn;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;

/**
 * Parameter counts comparable with PyTorch's {@code sum(p.numel() for p in m.parameters())}.
 *
 * <p>DL4J stores a BatchNormalization layer's running mean and variance (or log10 std) among its
 * parameters (updated by the layer, not by the optimiser); PyTorch keeps them as buffers, outside
 * {@code parameters()}. They are excluded here, so a BN layer counts gamma and beta only.
 */
public final class ParamCounts {

    private static final Set<String> BN_RUNNING_STATS = Set.of(BatchNormalizationParamInitializer.GLOBAL_MEAN,
            BatchNormalizationParamInitializer.GLOBAL_VAR, BatchNormalizationParamInitializer.GLOBAL_LOG_STD);

    private ParamCounts() {
    }

    /** Trainable parameters of the whole graph. */
    public static long trainable(ComputationGraph graph) {
        long n = 0;
        for (Layer layer : graph.getLayers()) {
            n += trainable(layer);
        }
        return n;
    }

    /** Trainable parameters of {@code vertex} and every vertex it depends on, e.g. the backbone up to "embedding". */
    public static long trainableUpTo(ComputationGraph graph, String vertex) {
        long n = 0;
        for (String name : ancestors(graph, vertex)) {
            Layer layer = graph.getLayer(name);
            if (layer != null) {
                n += trainable(layer);
            }
        }
        return n;
    }

    /** {@code vertex} and all vertices it (transitively) reads from, inputs included. */
    public static Set<String> ancestors(ComputationGraph graph, String vertex) {
        Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
        if (!inputs.containsKey(vertex) && !graph.getConfiguration().getNetworkInputs().contains(vertex)) {
            throw new IllegalArgumentException("graph has no vertex '" + vertex + "'");
        }
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(vertex));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (seen.add(v)) {
                todo.addAll(inputs.getOrDefault(v, List.of()));
            }
        }
        return seen;
    }

    static long trainable(Layer layer) {
        boolean bn = layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization;
        long n = 0;
        for (Map.Entry<String, org.nd4j.linalg.api.ndarray.INDArray> p : layer.paramTable().entrySet()) {
            if (!(bn && BN_RUNNING_STATS.contains(p.getKey()))) {
                n += p.getValue().length();
            }
        }
        return n;
    }
}
