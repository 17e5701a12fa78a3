package dev.pretext.nn;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLambdaLayer;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Cuts every image of [N, C, H, W] into its G x G grid of p x p patches (no gap, the grid centred:
 * p = min(H, W) / G) and folds them into the batch dimension: [N * G^2, C, p, p], patch j (row-major)
 * of image n at row n * G^2 + j. For evaluating a patch encoder on whole images (the context
 * autoencoder's 16 patch embeddings); {@link PatchGridUnfold} concatenates the per-patch outputs
 * back per image. Parameterless; inference only (it changes the minibatch size).
 */
public class PatchGridFold extends SameDiffLambdaLayer {
    private int grid;
    private int height;
    private int width;

    /** For JSON. */
    public PatchGridFold() {
    }

    public PatchGridFold(int grid, int height, int width) {
        if (grid < 1 || height < grid || width < grid) {
            throw new IllegalArgumentException("a " + grid + "x" + grid + " grid needs images of at least " + grid
                    + " pixels a side, got " + width + "x" + height);
        }
        this.grid = grid;
        this.height = height;
        this.width = width;
    }

    public int getGrid() {
        return grid;
    }

    public void setGrid(int grid) {
        this.grid = grid;
    }

    public int getHeight() {
        return height;
    }

    public void setHeight(int height) {
        this.height = height;
    }

    public int getWidth() {
        return width;
    }

    public void setWidth(int width) {
        this.width = width;
    }

    /** The patch side p. */
    public int patchSize() {
        return Math.min(height, width) / grid;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable x) {
        int p = patchSize();
        long oy = (height - (long) grid * p) / 2;
        long ox = (width - (long) grid * p) / 2;
        SDVariable c = x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(oy, oy + (long) grid * p),
                SDIndex.interval(ox, ox + (long) grid * p));
        long ch = x.getShape() != null && x.getShape().length == 4 && x.getShape()[1] > 0 ? x.getShape()[1] : 3;
        SDVariable r = sd.reshape(c, -1, ch, grid, p, grid, p);
        SDVariable t = sd.permute(r, 0, 2, 4, 1, 3, 5);
        return sd.reshape(t, -1, ch, p, p);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) inputType;
        return InputType.convolutional(patchSize(), patchSize(), in.getChannels());
    }
}
