package dev.pretext.nn;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLambdaLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The inverse of {@link PatchGridFold} for per-patch vectors: [N * G^2, F] to [N, G^2 * F], image n's
 * patch vectors concatenated in position order. Parameterless; inference only.
 */
public class PatchGridUnfold extends SameDiffLambdaLayer {
    private int positions;
    private int features;

    /** For JSON. */
    public PatchGridUnfold() {
    }

    public PatchGridUnfold(int positions, int features) {
        if (positions < 1 || features < 1) {
            throw new IllegalArgumentException("positions and features must be >= 1, got " + positions + ", "
                    + features);
        }
        this.positions = positions;
        this.features = features;
    }

    public int getPositions() {
        return positions;
    }

    public void setPositions(int positions) {
        this.positions = positions;
    }

    public int getFeatures() {
        return features;
    }

    public void setFeatures(int features) {
        this.features = features;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x) {
        return sd.reshape(x, -1, (long) positions * features);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward((long) positions * features);
    }
}
