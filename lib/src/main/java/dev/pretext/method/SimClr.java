package dev.pretext.method;

import dev.pretext.nn.Backbones;
import dev.pretext.nn.NtXentLoss;
import dev.pretext.nn.Projector;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * SimCLR (Chen et al. 2020), as the PyTorch peer: both views of every image go through one forward
 * pass (batch norm sees all 2B views), backbone - projector (Linear-BN-ReLU-Linear) - NT-Xent.
 * Keys: {@code temperature}.
 */
public final class SimClr extends ViewMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "simclr";
    public static final String LOSS = "loss";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("temperature", "softmax temperature of NT-Xent"), BLUR_KEY, SOLARIZE_KEY);

    private final double temperature;

    public SimClr(MethodParams p) {
        super(p, 2);
        this.temperature = p.dbl("temperature", 1e-4, 100);
    }

    /** SimCLR at temperature {@code t} (tests). */
    public static SimClr withTemperature(double t) {
        return new SimClr(MethodParams.empty(NAME).with("temperature", t));
    }

    @Override
    public String name() {
        return NAME;
    }

    public double temperature() {
        return temperature;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        GraphBuilder g = spec.backboneGraph(seed);
        int features = spec.featureDim();
        String z = Projector.addTo(g, Backbones.EMBEDDING, features, spec.resolvedProjectionHidden(),
                spec.projectionDim());
        g.addLayer(LOSS, new NtXentLoss(temperature), z);
        return g.setOutputs(LOSS).build();
    }
}
