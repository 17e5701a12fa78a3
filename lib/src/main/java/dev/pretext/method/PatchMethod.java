package dev.pretext.method;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.patches.PatchRecord;
import dev.pretext.patches.PatchSettings;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A method that trains on patches of the image (relative position, jigsaw, the context
 * autoencoder, ...): it names the grid it cuts ({@link #patchSettings}: grid, gap, jitter, views,
 * permutations; the patches stage's {@link dev.pretext.patches.ImagePatcher} cuts them, on the
 * executors, with fresh jitter every epoch) and assembles a minibatch from the patch rows of B
 * images. The patch encoder is the backbone, applied to patches stacked along the batch dimension
 * (patch k of image i at row k*B + i, as views are); because it is convolutional and ends in global
 * pooling, the same encoder runs on whole images for evaluation.
 */
public interface PatchMethod extends PretextMethod {

    /** The grid this method cuts from every image, with {@code seed} as the base of jitter and views. */
    PatchSettings patchSettings(AugmentSpec augment, long seed);

    /**
     * One minibatch from {@code images.get(i)}, the patch rows of image i (in
     * {@link dev.pretext.patches.ImagePatcher} order: the original, then views); {@code rng} draws
     * the method's per-step choices (a neighbour, a permutation), seeded by the batch source.
     */
    MultiDataSet assemblePatches(List<List<PatchRecord>> images, float[] mean, float[] std, SplittableRandom rng);

    /** Rows of the minibatch's features per image (the trainer checks every minibatch has batch x this). */
    @Override
    int rowsPerImage(AugmentSpec augment);

    /** Patch methods make no image views: their examples are patches ({@link #assemblePatches}). */
    @Override
    default List<ViewRecipe> views(AugmentSpec base) {
        return List.of();
    }

    @Override
    default MultiDataSet assemble(float[][] views, int batchSize, int height, int width) {
        throw new UnsupportedOperationException(name() + " trains on patches: use assemblePatches");
    }

    /** The side of the patches of an H x W image: the network's input size. */
    @Override
    default int[] inputSize(AugmentSpec augment, int height, int width) {
        PatchSettings s = patchSettings(augment, 0);
        int h = s.views() > 0 ? augment.outputHeightFor(height) : height;
        int w = s.views() > 0 ? augment.outputWidthFor(width) : width;
        int side = s.patchGrid().layout(h, w).size();
        return new int[] {side, side};
    }

    /** {@code count} distinct positions of {@code 0..n-1}, in draw order (a partial Fisher-Yates shuffle). */
    static int[] distinctPositions(SplittableRandom rng, int n, int count) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, count);
    }
}
