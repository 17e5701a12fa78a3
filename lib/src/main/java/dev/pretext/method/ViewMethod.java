package dev.pretext.method;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.PairIds;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The base of the joint-embedding methods: K augmented views of each image, stacked along the batch
 * dimension into the one image input (view k of image i at row k*B + i), so that one shared
 * backbone sees all K*B views in one pass (batch norm over all of them, as the PyTorch peer); the
 * label of every output is the image id column (0..B-1, K times: {@link PairIds#stacked(int, int)}),
 * checked before it leaves the executor. All K views of an image are always in the same
 * minibatch: they are made together from the image and assembled into one {@link MultiDataSet}.
 *
 * <p>Common keys: {@code views} (K, where the method allows a choice), {@code blur-p} and
 * {@code solarize-p} (one probability per view, or [] for {@code augment.blur-p} and no solarisation).
 */
public abstract class ViewMethod implements PretextMethod {
    private static final long serialVersionUID = 1L;
    public static final MethodKey BLUR_KEY = new MethodKey("blur-p",
            "per-view Gaussian-blur probability, one per view ([] = augment.blur-p for every view)");
    public static final MethodKey SOLARIZE_KEY = new MethodKey("solarize-p",
            "per-view solarisation probability, one per view ([] = none)");

    private final int views;
    private final double[] blurP;
    private final double[] solarizeP;

    protected ViewMethod(MethodParams p, int views) {
        this.views = views;
        this.blurP = p.perView(BLUR_KEY.name(), views);
        this.solarizeP = p.perView(SOLARIZE_KEY.name(), views);
    }

    /** K. */
    public int viewCount() {
        return views;
    }

    @Override
    public List<ViewRecipe> views(AugmentSpec base) {
        List<ViewRecipe> out = new ArrayList<>();
        for (int k = 0; k < views; k++) {
            AugmentSpec s = blurP == null ? base
                    : base.withBlur(blurP[k], base.blurSigmaMin(), base.blurSigmaMax(), base.blurKernel());
            out.add(new ViewRecipe(s, solarizeP == null ? 0.0 : solarizeP[k]));
        }
        return out;
    }

    /** Outputs (loss layers) of the graph: each gets the id column as its labels. */
    protected int outputs() {
        return 1;
    }

    @Override
    public MultiDataSet assemble(float[][] v, int batchSize, int height, int width) {
        INDArray features = stackedViews(v, batchSize, height, width);
        INDArray labels = Nd4j.create(PairIds.stacked(batchSize, views), new long[] {(long) views * batchSize, 1}, 'c');
        PairIds.check(labels, views);
        INDArray[] ls = new INDArray[outputs()];
        for (int i = 0; i < ls.length; i++) {
            ls[i] = labels;
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, ls);
    }

    /** The K views stacked along the batch dimension, [K*B, 3, h, w], after checking each (size, finite values). */
    protected INDArray stackedViews(float[][] v, int batchSize, int height, int width) {
        return stack(name(), v, views, batchSize, height, width);
    }

    /** {@code views} views of {@code batchSize} images stacked along the batch dimension (view k at rows k*B..). */
    static INDArray stack(String method, float[][] v, int views, int batchSize, int height, int width) {
        if (batchSize < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("batch " + batchSize + " of " + height + "x" + width
                    + " images: all must be positive");
        }
        if (v == null || v.length != views) {
            throw new IllegalArgumentException(method + " needs " + views + " views per image, got "
                    + (v == null ? 0 : v.length));
        }
        int perImage = Backbones.CHANNELS * height * width;
        long perView = (long) batchSize * perImage;
        if (perView * views > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("minibatch of " + views + "x" + perView + " values is too large for one array");
        }
        float[] all = new float[(int) (perView * views)];
        for (int k = 0; k < views; k++) {
            checkView(k, v[k], perView, perImage);
            System.arraycopy(v[k], 0, all, (int) (k * perView), (int) perView);
        }
        return Nd4j.create(all, new long[] {(long) views * batchSize, Backbones.CHANNELS, height, width}, 'c');
    }

    private static void checkView(int k, float[] view, long expected, int perImage) {
        if (view == null || view.length != expected) {
            throw new IllegalArgumentException("view " + k + " has " + (view == null ? "no" : view.length)
                    + " values; expected " + expected + " (batch x 3 x height x width)");
        }
        for (int i = 0; i < view.length; i++) {
            if (!Float.isFinite(view[i])) {
                throw new IllegalArgumentException("view " + k + " holds " + view[i] + " at flat index " + i
                        + " (image " + i / perImage + ")");
            }
        }
    }
}
