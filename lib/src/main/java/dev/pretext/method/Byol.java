package dev.pretext.method;

import dev.pretext.nn.CrossViewCosineLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * BYOL (Grill et al. 2020): the online network (backbone, projector, predictor) predicts the EMA
 * target's projection of the other view, {@code 2 - 2 cos(p(a), sg(z_t(b)))}, symmetrised
 * ({@link CrossViewCosineLoss} in its BYOL form; DL4J reports the mean over the 2B anchors, half the
 * paper's L + L~, so the same learning rate takes half the paper's step). The target is a frozen
 * twin in the graph moved by EMA ({@link TwinMethod}). Asymmetric augmentation by default:
 * blur 1.0 / 0.1, solarize 0 / 0.2 (pretext/methods/byol.conf).
 */
public final class Byol extends TwinMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "byol";
    static final MethodKey PREDICTOR_KEY = new MethodKey("predictor-hidden",
            "hidden size of the predictor (Linear-BN-ReLU-Linear); 0 = the projector's hidden size");
    static final List<MethodKey> KEYS = List.of(MOMENTUM_KEY, PREDICTOR_KEY, BLUR_KEY, SOLARIZE_KEY);
    private final int predictorHidden;

    public Byol(MethodParams p) {
        super(p, 2);
        this.predictorHidden = p.integer(PREDICTOR_KEY.name(), 0, 65_536);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, predictorHidden, TwinGraphs.Second.TWIN, CrossViewCosineLoss.byol());
    }
}
