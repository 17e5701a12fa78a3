package dev.pretext.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A target network (BYOL, MoCo, MSBReg) as a prefixed twin inside the training graph, so that it is
 * checkpointed, shipped to the Spark workers and averaged with the model (STACK.md: a second
 * {@code ComputationGraph} would be none of these; EMA is linear, so averaging EMA copies is
 * consistent).
 *
 * <p>The twin repeats the online layers under {@link #PREFIX}{@code name}, reading the same input.
 * After the graph is built, {@link #freeze} wraps every twin vertex in DL4J's {@link FrozenVertex}:
 * backprop skips it (no gradient, no updater step, no weight decay: its training config is a dummy
 * with no regularisation), while its forward pass keeps the training flag, so BatchNorm in the twin
 * uses batch statistics as BYOL's target does (DL4J's {@code FrozenLayer} would run it in inference
 * mode). The twin's parameters move only by {@link #ema}: {@code twin = m * twin + (1 - m) * online},
 * BatchNorm running statistics included. {@code TargetTwinTest} proves each of these facts.
 */
public final class TargetTwin {
    public static final String PREFIX = "t_";

    private TargetTwin() {
    }

    /**
     * Adds to {@code g} a copy of the sub-graph that {@code online} adds, every vertex renamed with
     * {@link #PREFIX}; inputs outside the sub-graph (the image input) are read as they are.
     *
     * @param defaults the same defaults the graph was started with (layer settings are copied from them)
     * @param input    the input vertex the online sub-graph reads
     * @param online   adds the online layers to the graph it is given and returns its output vertex
     * @return the twin's output vertex ({@code t_<output>})
     */
    public static String addTo(GraphBuilder g, NeuralNetConfiguration.Builder defaults, String input,
                               Function<GraphBuilder, String> online) {
        GraphBuilder scratch = defaults.graphBuilder().addInputs(input);
        String out = online.apply(scratch);
        Map<String, GraphVertex> vertices = scratch.getVertices();
        Map<String, List<String>> inputs = scratch.getVertexInputs();
        for (Map.Entry<String, GraphVertex> e : vertices.entrySet()) {
            List<String> ins = new ArrayList<>();
            for (String in : inputs.getOrDefault(e.getKey(), List.of())) {
                ins.add(vertices.containsKey(in) ? PREFIX + in : in);
            }
            GraphVertex copy = e.getValue().clone();
            if (copy instanceof LayerVertex lv && lv.getLayerConf() != null && lv.getLayerConf().getLayer() != null) {
                lv.getLayerConf().getLayer().setLayerName(PREFIX + e.getKey());
            }
            g.addVertex(PREFIX + e.getKey(), copy, ins.toArray(new String[0]));
        }
        return PREFIX + out;
    }

    /** Wraps every twin vertex of a built configuration in a {@link FrozenVertex}; returns {@code conf}. */
    public static ComputationGraphConfiguration freeze(ComputationGraphConfiguration conf) {
        Map<String, GraphVertex> vertices = conf.getVertices();
        for (Map.Entry<String, GraphVertex> e : new LinkedHashMap<>(vertices).entrySet()) {
            if (e.getKey().startsWith(PREFIX) && !(e.getValue() instanceof FrozenVertex)) {
                vertices.put(e.getKey(), new FrozenVertex(e.getValue()));
            }
        }
        return conf;
    }

    /** Whether the graph holds a twin. */
    public static boolean present(ComputationGraph graph) {
        return !pairs(graph).isEmpty();
    }

    /** The (online, twin) parameter arrays: views into the graph's flat parameters. */
    public static List<INDArray[]> pairs(ComputationGraph graph) {
        List<INDArray[]> out = new ArrayList<>();
        for (Layer twin : graph.getLayers()) {
            String name = twin.conf().getLayer().getLayerName();
            if (name == null || !name.startsWith(PREFIX) || twin.numParams() == 0) {
                continue;
            }
            Layer online = graph.getLayer(name.substring(PREFIX.length()));
            if (online == null || online.numParams() != twin.numParams()) {
                throw new IllegalStateException("twin layer " + name + " has no online layer of the same size");
            }
            out.add(new INDArray[] {online.params(), twin.params()});
        }
        return out;
    }

    /** Sets the twin to the online network (BYOL's target starts as a copy). */
    public static void copyOnline(ComputationGraph graph) {
        for (INDArray[] p : pairs(graph)) {
            p[1].assign(p[0]);
        }
    }

    /** {@code twin = m * twin + (1 - m) * online}, in place, for every parameter (BN statistics included). */
    public static void ema(ComputationGraph graph, double momentum) {
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("EMA momentum must be in [0, 1], got " + momentum);
        }
        for (INDArray[] p : pairs(graph)) {
            p[1].muli(momentum).addi(p[0].mul(1 - momentum));
        }
    }
}
