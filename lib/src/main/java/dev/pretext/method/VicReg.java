package dev.pretext.method;

import dev.pretext.nn.VicRegLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * VICReg (Bardes et al. 2022): invariance (MSE between the views' projections), a variance hinge
 * per dimension and the off-diagonal covariance, 25 / 25 / 1 ({@link VicRegLoss}, as the official
 * code: the variance term averaged over the two views).
 */
public final class VicReg extends ViewMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "vicreg";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("sim-coeff", "weight of the invariance (MSE) term"),
            new MethodKey("std-coeff", "weight of the variance hinge"),
            new MethodKey("cov-coeff", "weight of the covariance term"), BLUR_KEY, SOLARIZE_KEY);
    private final double sim;
    private final double std;
    private final double cov;

    public VicReg(MethodParams p) {
        super(p, 2);
        this.sim = p.dbl("sim-coeff", 0, 1e4);
        this.std = p.dbl("std-coeff", 0, 1e4);
        this.cov = p.dbl("cov-coeff", 0, 1e4);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, -1, TwinGraphs.Second.NONE, new VicRegLoss(sim, std, cov));
    }
}
