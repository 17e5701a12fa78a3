package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.MaskedPatchLoss;
import dev.pretext.nn.PositionEmbedding;
import dev.pretext.nn.TokenMask;
import dev.pretext.nn.TransformerBlock;
import dev.pretext.patches.PatchRecord;
import dev.pretext.patches.PatchSettings;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Selfie, masked patch prediction (Trinh et al. 2019; DV2's baseline): every image (one
 * {@code augment.*} view per step) is cut into a 4 x 4 grid of M = 16 patches; the patch network
 * (the backbone) encodes all 16; Q = {@code masked} of them, drawn per image and step, enter a
 * transformer ({@code layers} pre-norm blocks, {@code heads} heads, learned position embeddings) as
 * zero codes ({@link TokenMask}), the others as their codes; the transformer's outputs at the masked
 * positions, projected to {@code projection} dimensions, must pick out the masked patches' own
 * projected codes among all patches of the minibatch ({@link MaskedPatchLoss}, weight {@code weight}
 * = alpha_mp).
 *
 * <p>Minibatch: features 0 the patches [B M, 3, p, p], image-major (patch m of image i at row
 * i M + m, so a 'c' reshape gives each image its M tokens); features 1 the keep column [B M, 1]
 * (0 = masked); labels the mask [B, M]. The encoder evaluated is the backbone on whole images.
 */
public final class Selfie implements PatchMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "selfie";
    static final String LOSS = "loss";
    static final String KEEP = "keep";
    static final int GRID = 4;
    static final int PATCHES = GRID * GRID;
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("masked", "patches of the 16 masked per image and step (Q; the paper: 4)"),
            new MethodKey("layers", "transformer blocks (the paper: 3)"),
            new MethodKey("heads", "attention heads (must divide the backbone's feature width)"),
            new MethodKey("mlp-ratio", "transformer MLP width / feature width"),
            new MethodKey("dropout", "dropout on the transformer's residual branches (the paper: 0.1)"),
            new MethodKey("projection", "width of the projections the cosines compare (the paper: 128)"),
            new MethodKey("weight", "alpha_mp, the loss weight (the paper: 8)"));

    private final int masked;
    private final int layers;
    private final int heads;
    private final int mlpRatio;
    private final double dropout;
    private final int projection;
    private final double weight;

    public Selfie(MethodParams p) {
        this.masked = p.integer("masked", 1, PATCHES - 1);
        this.layers = p.integer("layers", 1, 64);
        this.heads = p.integer("heads", 1, 1024);
        this.mlpRatio = p.integer("mlp-ratio", 1, 64);
        this.dropout = p.dbl("dropout", 0, 0.99);
        this.projection = p.integer("projection", 1, 1 << 14);
        this.weight = p.dbl("weight", 0, 1e4);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** A 4 x 4 grid without gap or jitter, of one fresh {@code augment.*} view per image and epoch. */
    @Override
    public PatchSettings patchSettings(AugmentSpec augment, long seed) {
        return new PatchSettings(GRID, 0, 0, 1, false, augment, seed, 0, 1);
    }

    @Override
    public int rowsPerImage(AugmentSpec augment) {
        return PATCHES;
    }

    /** Q, masked patches per image. */
    public int masked() {
        return masked;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        int d = spec.featureDim();
        if (d % heads != 0) {
            throw new UserError("method.selfie.heads = " + heads + " must divide the backbone's feature width " + d
                    + " (model.backbone " + spec.backbone() + ", model.width " + spec.width() + ")");
        }
        GraphBuilder g = spec.backboneGraph(seed);
        g.addInputs(KEEP);
        g.setInputTypes(InputType.feedForward(1));                 // appended to the image input's type
        String context = addContext(g, Backbones.EMBEDDING, d, "");
        addMaskedPrediction(g, context, Backbones.EMBEDDING, d, LOSS);
        return g.setOutputs(LOSS).build();
    }

    /**
     * The transformer over each image's M tokens: codes [B M, d] (image-major) masked by the
     * {@link #KEEP} input, position embeddings, the blocks; returns the vertex of its outputs as
     * rows [B M, d] (row i M + m: position m of image i).
     */
    String addContext(GraphBuilder g, String codes, int d, String prefix) {
        g.addVertex(prefix + "codes_keep", new MergeVertex(), codes, KEEP);
        g.addLayer(prefix + "token_mask", new TokenMask(), prefix + "codes_keep");
        g.addVertex(prefix + "tokens", new ReshapeVertex('c', new int[] {-1, PATCHES * d}, null), prefix + "token_mask");
        g.addLayer(prefix + "pos", new PositionEmbedding(PATCHES, false), prefix + "tokens");
        String prev = prefix + "pos";
        for (int l = 0; l < layers; l++) {
            g.addLayer(prefix + "tf" + l, new TransformerBlock(heads, mlpRatio, dropout), prev);
            prev = prefix + "tf" + l;
        }
        g.addVertex(prefix + "ctx", new ReshapeVertex('f', new int[] {-1, PATCHES * d}, null), prev);
        g.addVertex(prefix + "ctx_rows", new ReshapeVertex('c', new int[] {-1, d}, null), prefix + "ctx");
        return prefix + "ctx_rows";
    }

    /** Projections of the predictions and the targets, per image [B, M K] each, and L_mp as {@code loss}. */
    void addMaskedPrediction(GraphBuilder g, String predictions, String codes, int d, String loss) {
        g.addLayer("pred_proj", new DenseLayer.Builder().nIn(d).nOut(projection).activation(Activation.IDENTITY)
                .build(), predictions);
        g.addVertex("pred_img", new ReshapeVertex('c', new int[] {-1, PATCHES * projection}, null), "pred_proj");
        g.addLayer("target_proj", new DenseLayer.Builder().nIn(d).nOut(projection).activation(Activation.IDENTITY)
                .build(), codes);
        g.addVertex("target_img", new ReshapeVertex('c', new int[] {-1, PATCHES * projection}, null), "target_proj");
        g.addVertex("pred_target", new MergeVertex(), "pred_img", "target_img");
        g.addLayer(loss, new MaskedPatchLoss(PATCHES, projection, weight), "pred_target");
    }

    @Override
    public MultiDataSet assemblePatches(List<List<PatchRecord>> images, float[] mean, float[] std,
                                        SplittableRandom rng) {
        int b = images.size();
        PatchRecord first = images.get(0).get(0);
        int side = first.size();
        int per = 3 * side * side;
        float[] x = new float[b * PATCHES * per];
        float[] keep = new float[b * PATCHES];
        float[] mask = new float[b * PATCHES];
        for (int i = 0; i < b; i++) {
            PatchRecord r = images.get(i).get(0);
            if (r.size() != side) {
                throw new UserError("image " + r.id() + " gives " + r.size() + "-pixel patches; the batch's first gives "
                        + side);
            }
            for (int m = 0; m < PATCHES; m++) {
                PatchClassifier.patchTensor(r, m, mean, std, x, (i * PATCHES + m) * per);
                keep[i * PATCHES + m] = 1f;
            }
            for (int m : PatchMethod.distinctPositions(rng, PATCHES, masked)) {
                keep[i * PATCHES + m] = 0f;
                mask[i * PATCHES + m] = 1f;
            }
        }
        INDArray features = Nd4j.create(x, new long[] {(long) b * PATCHES, 3, side, side}, 'c');
        INDArray keeps = Nd4j.create(keep, new long[] {(long) b * PATCHES, 1}, 'c');
        INDArray labels = Nd4j.create(mask, new long[] {b, PATCHES}, 'c');
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features, keeps}, new INDArray[] {labels});
    }

}
