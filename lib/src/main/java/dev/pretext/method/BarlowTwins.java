package dev.pretext.method;

import dev.pretext.nn.BarlowTwinsLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * Barlow Twins (Zbontar et al. 2021): the cross-correlation matrix of the batch-standardised
 * projections of the two views is pushed to the identity ({@link BarlowTwinsLoss}: (1 - C_ii)^2 +
 * lambda C_ij^2). The paper's projector is 3 x 8192; ours is the shared Linear-BN-ReLU-Linear head
 * ({@code method.projection-dim}), small for CPUs.
 */
public final class BarlowTwins extends ViewMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "barlow";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("lambda", "weight of the off-diagonal (redundancy) term"), BLUR_KEY, SOLARIZE_KEY);
    private final double lambda;

    public BarlowTwins(MethodParams p) {
        super(p, 2);
        this.lambda = p.dbl("lambda", 0, 1e3);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, -1, TwinGraphs.Second.NONE, new BarlowTwinsLoss(lambda));
    }
}
