package dev.pretext.eval;

import dev.pretext.UserError;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The encoder inside a training graph, on its own: the vertices that the requested layers depend
 * on (backbone up to them), with the trained parameters (BatchNorm statistics included), and none
 * of the rest (projector, predictor, target twin, loss and its state such as MoCo's queue). What
 * evaluation broadcasts and runs, so it costs what the encoder costs, whatever the method.
 */
public final class EncoderSubgraph {
    private EncoderSubgraph() {
    }

    /** A new graph whose outputs are {@code layers}, holding copies of their ancestors' parameters. */
    public static ComputationGraph extract(ComputationGraph training, List<String> layers) {
        ComputationGraphConfiguration full = training.getConfiguration();
        Map<String, List<String>> inputs = full.getVertexInputs();
        Set<String> keep = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        for (String l : layers) {
            if (!full.getVertices().containsKey(l)) {
                throw new UserError("the network has no layer named '" + l + "'; layers: "
                        + new TreeSet<>(full.getVertices().keySet()));
            }
            todo.add(l);
        }
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (keep.add(v)) {
                for (String in : inputs.getOrDefault(v, List.of())) {
                    if (full.getVertices().containsKey(in)) {
                        todo.add(in);
                    }
                }
            }
        }
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(full.toJson());
        conf.getVertices().keySet().retainAll(keep);
        conf.getVertexInputs().keySet().retainAll(keep);
        conf.setNetworkOutputs(List.copyOf(layers));
        // Only the inputs the encoder reads (a method's extra inputs, such as Selfie's keep mask, go).
        Set<String> read = new LinkedHashSet<>();
        for (String v : keep) {
            read.addAll(inputs.getOrDefault(v, List.of()));
        }
        conf.setNetworkInputs(new java.util.ArrayList<>(full.getNetworkInputs().stream().filter(read::contains)
                .toList()));
        conf.setTopologicalOrder(null);
        conf.setTopologicalOrderStr(null);
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        for (Layer l : g.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            if (l.numParams() > 0) {
                l.setParams(training.getLayer(name).params().dup());
            }
        }
        return g;
    }
}
