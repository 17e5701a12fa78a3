package dev.pretext.method;

import dev.pretext.nn.CrossViewCosineLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * SimSiam (Chen and He 2021): BYOL without a target network: {@code -cos(p(a), sg(z(b)))},
 * symmetrised, where z is the same network's projection under a stop-gradient (inside
 * {@link CrossViewCosineLoss}: the gradient reaches z only through the predictor).
 */
public final class SimSiam extends ViewMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "simsiam";
    static final List<MethodKey> KEYS = List.of(Byol.PREDICTOR_KEY, BLUR_KEY, SOLARIZE_KEY);
    private final int predictorHidden;

    public SimSiam(MethodParams p) {
        super(p, 2);
        this.predictorHidden = p.integer(Byol.PREDICTOR_KEY.name(), 0, 65_536);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, predictorHidden, TwinGraphs.Second.PROJECTION,
                CrossViewCosineLoss.simSiam());
    }
}
