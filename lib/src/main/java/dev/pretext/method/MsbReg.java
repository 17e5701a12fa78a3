package dev.pretext.method;

import dev.pretext.nn.MsbRegLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * MSBReg (multiview centroid, singular-value and Brownian losses; ECCV 2022, msbreg-embedding-
 * dynamics.txt): K views per image (4 or 8 in the paper), an online network with a predictor and an
 * EMA target twin as BYOL; the loss ({@link MsbRegLoss}, whose javadoc gives our reading of the
 * paper) pulls the centroid of the online predictions of an image's K views to the target's
 * centroid, and adds lambda_s x a singular-value loss (the batch's singular values toward uniform;
 * SVD outside autodiff with a hand-written backprop) and lambda_b x a Brownian term (cosine to a
 * fresh random direction per row and step). Paper's lambda_s = 0.004, lambda_b = 0.5.
 */
public final class MsbReg extends TwinMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "msbreg";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("views", "K: augmented views per image (the paper uses 4 and 8)"),
            MOMENTUM_KEY, Byol.PREDICTOR_KEY,
            new MethodKey("lambda-s", "weight of the singular-value (global dispersion) loss"),
            new MethodKey("lambda-b", "weight of the Brownian (local dispersion) loss"), BLUR_KEY, SOLARIZE_KEY);
    private final int predictorHidden;
    private final double lambdaS;
    private final double lambdaB;

    public MsbReg(MethodParams p) {
        super(p, p.integer("views", 2, 16));
        this.predictorHidden = p.integer(Byol.PREDICTOR_KEY.name(), 0, 65_536);
        this.lambdaS = p.dbl("lambda-s", 0, 100);
        this.lambdaB = p.dbl("lambda-b", 0, 100);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, predictorHidden, TwinGraphs.Second.TWIN,
                new MsbRegLoss(viewCount(), lambdaS, lambdaB, seed));
    }
}
