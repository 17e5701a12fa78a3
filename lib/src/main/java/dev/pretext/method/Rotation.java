package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.Projector;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The rotation pretext task (Gidaris, Singh and Komodakis, ICLR 2018): predict by how many quarter
 * turns an image was rotated.
 *
 * <p>Views: one augmentation draw per image ({@code augment}: {@code crop-flip}, the default, is the
 * {@code augment.*} recipe's random resized crop and horizontal flip with no colour jitter, grayscale
 * or blur, as the paper's light augmentation; {@code full} is the whole {@code augment.*} recipe;
 * {@code none} the whole image, resized only), shown in four orientations: view k is that view
 * turned k x 90 degrees counter-clockwise ({@link ViewRecipe#withQuarterTurns}, exact pixel
 * permutations), all four from view 0's draw ({@link #drawIndex} is 0), so the four views of an
 * image differ only by the rotation, as in the paper's code. Views must be square (a quarter turn of
 * an h x w view is w x h, and a batch holds one size): non-square images are cropped and resized to
 * a square by setting {@code augment.output-height = augment.output-width}; otherwise the run is
 * refused when its graph is built.
 *
 * <p>Graph: backbone ({@link Backbones#EMBEDDING} is the encoder evaluated) - classifier head
 * ({@code head}: {@code mlp}, Linear (no bias) - BN - ReLU - Linear to 4 with {@code head-hidden}
 * units, 0 = the backbone's feature width; or {@code linear}, one Linear to 4) - softmax and 4-way
 * cross-entropy (a DL4J {@link LossLayer}, MCXENT; DL4J reports the mean over the 4B views, ln 4 =
 * 1.386 at chance). The views of B images are stacked along the batch dimension as every method's
 * (rotation k of image i at row k*B + i) and the labels are one-hot [4B, 4], row k*B + i = e_k. No
 * target network and no per-step state: both trainers.
 */
public final class Rotation implements PretextMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "rotation";
    /** 0, 90, 180 and 270 degrees. */
    public static final int ROTATIONS = 4;
    public static final String LOSS = "loss";
    /** Prefix of the classifier head's layers ({@code head_fc1}, ...). */
    public static final String HEAD = "head";
    public static final String CROP_FLIP = "crop-flip";
    public static final String FULL = "full";
    public static final String NONE = "none";
    public static final String MLP = "mlp";
    public static final String LINEAR = "linear";
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("augment", "the one draw each image's 4 rotations share: crop-flip (augment.*'s random"
                    + " resized crop and flip only), full (the whole augment.* recipe) or none (the image, resized)"),
            new MethodKey("head", "classifier head on the embedding: mlp (Linear-BN-ReLU-Linear) or linear"),
            new MethodKey("head-hidden", "hidden width of the mlp head; 0 = the backbone's feature width"));

    private final String augment;
    private final String head;
    private final int headHidden;

    public Rotation(MethodParams p) {
        this.augment = p.choice("augment", List.of(CROP_FLIP, FULL, NONE));
        this.head = p.choice("head", List.of(MLP, LINEAR));
        this.headHidden = p.integer("head-hidden", 0, 1 << 16);
    }

    @Override
    public String name() {
        return NAME;
    }

    public String augment() {
        return augment;
    }

    public String head() {
        return head;
    }

    /** View k: the image's one draw of the {@code augment} recipe, turned k quarter turns counter-clockwise. */
    @Override
    public List<ViewRecipe> views(AugmentSpec base) {
        ViewRecipe upright = switch (augment) {
            case NONE -> ViewRecipe.original(base);
            case FULL -> ViewRecipe.of(base);
            default -> ViewRecipe.of(base.withProbabilities(base.flipP(), 0, 0, 0));
        };
        List<ViewRecipe> out = new ArrayList<>();
        for (int k = 0; k < ROTATIONS; k++) {
            out.add(upright.withQuarterTurns(k));
        }
        return List.copyOf(out);
    }

    /** Every rotation is made from view 0's draw: the four views differ only by the turn. */
    @Override
    public int drawIndex(int view) {
        return 0;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        if (spec.inputHeight() != spec.inputWidth()) {
            throw new UserError("method rotation turns its views by 90 degrees, so they must be square; they are "
                    + spec.inputHeight() + "x" + spec.inputWidth() + ": set augment.output-height and"
                    + " augment.output-width to one size (every view is cropped and resized to it)");
        }
        GraphBuilder g = spec.backboneGraph(seed);
        int features = spec.featureDim();
        int[] widths = head.equals(LINEAR) ? new int[] {ROTATIONS}
                : new int[] {headHidden > 0 ? headHidden : features, ROTATIONS};
        String logits = Projector.addMlp(g, HEAD, Backbones.EMBEDDING, features, widths);
        g.addLayer(LOSS, new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .activation(Activation.SOFTMAX).build(), logits);
        return g.setOutputs(LOSS).build();
    }

    /** Features: the 4 rotations stacked [4B, 3, h, w] (rotation k of image i at row k*B + i); labels: one-hot [4B, 4]. */
    @Override
    public MultiDataSet assemble(float[][] views, int batchSize, int height, int width) {
        INDArray features = ViewMethod.stack(NAME, views, ROTATIONS, batchSize, height, width);
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, new INDArray[] {labels(batchSize)});
    }

    /** One-hot rotation labels of B images, [4B, 4]: row k*B + i is e_k. */
    public static INDArray labels(int batchSize) {
        float[] l = new float[ROTATIONS * batchSize * ROTATIONS];
        for (int k = 0; k < ROTATIONS; k++) {
            for (int i = 0; i < batchSize; i++) {
                l[(k * batchSize + i) * ROTATIONS + k] = 1f;
            }
        }
        return Nd4j.create(l, new long[] {(long) ROTATIONS * batchSize, ROTATIONS}, 'c');
    }
}
