package dev.pretext.method;

import dev.pretext.nn.Backbones;
import dev.pretext.nn.Projector;
import dev.pretext.nn.TargetTwin;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * The graphs of the joint-embedding methods, built one way: the image input (K*B stacked views)
 * through the backbone to {@link Backbones#EMBEDDING}, the projector ({@code proj_*}), optionally a
 * predictor ({@code pred_*}), optionally a target twin ({@code t_*}, frozen, EMA-updated: {@link
 * TargetTwin}) of backbone + projector; the loss layer {@link #LOSS} reads either the online output
 * alone or {@code [online | second]} concatenated by a {@link MergeVertex} ({@link #PAIR}), where the
 * second half is the twin's projection or (SimSiam) the online projection itself.
 */
final class TwinGraphs {
    static final String LOSS = "loss";
    static final String PAIR = "pair";

    /** What the loss layer reads besides the online output. */
    enum Second { NONE, PROJECTION, TWIN }

    private TwinGraphs() {
    }

    /**
     * @param predictorHidden hidden size of the predictor; -1 = no predictor, 0 = the projector's hidden size
     */
    static ComputationGraphConfiguration build(ModelSpec spec, long seed, int predictorHidden, Second second,
                                               Layer loss) {
        NeuralNetConfiguration.Builder defaults = spec.defaults(seed);
        GraphBuilder g = Backbones.imageGraph(defaults, spec.inputHeight(), spec.inputWidth());
        String z = onlineProjection(g, spec);
        String out = z;
        if (predictorHidden >= 0) {
            int hidden = predictorHidden > 0 ? predictorHidden : spec.resolvedProjectionHidden();
            out = Projector.addTo(g, "pred", z, spec.projectionDim(), hidden, spec.projectionDim());
        }
        String input = out;
        if (second != Second.NONE) {
            String other = second == Second.TWIN
                    ? TargetTwin.addTo(g, defaults, Backbones.INPUT, b -> onlineProjection(b, spec))
                    : z;
            g.addVertex(PAIR, new MergeVertex(), out, other);
            input = PAIR;
        }
        g.addLayer(LOSS, loss, input);
        ComputationGraphConfiguration conf = g.setOutputs(LOSS).build();
        return second == Second.TWIN ? TargetTwin.freeze(conf) : conf;
    }

    private static String onlineProjection(GraphBuilder g, ModelSpec spec) {
        int features = Backbones.get(spec.backbone()).addTo(g, Backbones.INPUT, spec.width());
        return Projector.addTo(g, Backbones.EMBEDDING, features, spec.resolvedProjectionHidden(), spec.projectionDim());
    }
}
