package dev.pretext.method;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.DynamicVocabularyLoss;
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
import org.deeplearning4j.nn.conf.graph.SubsetVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Selfie and DV2, one class, two registry entries.
 *
 * <p><b>Selfie</b>, masked patch prediction (Trinh et al. 2019; DV2's baseline): every image (one
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
 *
 * <p><b>DV2</b> (double view, dynamic vocabulary) adds, each behind a switch:
 * <ul>
 *   <li>{@code double-view}: the whole view, average-pooled 4 x 4 from its 16 patches to a patch's
 *       size, is row M of the image (rows per image M + 1) through the same patch network, giving I;
 *       it enters the transformer as a zero code (so token M is an [IMG] token with its own learned
 *       position), whose output gives I^; L_mi ({@link MaskedPatchLoss} with one "patch" per image,
 *       all predicted: -alpha_mi / N^2 (sum log|I^_i, I_i| + sum_{i != j} log(1 - |I^_i, I_j|)));</li>
 *   <li>{@code vocabulary}: two {@link DynamicVocabularyLoss}es, one over the masked patches'
 *       (prediction, target) pairs (alpha_vp) and, with the double view, one over the images' (alpha_vi).</li>
 *   <li>{@code hybrid}: a {@link dev.pretext.nn.PatchAttention} after conv stages 2.. of the patch
 *       network, among the visible patches of each image (masked patches and the whole view hidden);</li>
 *   <li>{@code versions} D &gt; 1: transformed positives, D views of each image whose same-position
 *       patches (and whole views) are extra positives ({@link MaskedPatchLoss#withVersions}).</li>
 * </ul>
 * All outputs have one row per image: DL4J divides every output's gradient by the first output's rows.
 */
public final class Selfie implements PatchMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "selfie";
    public static final String DV2 = "dv2";
    static final String LOSS = "loss";
    static final String KEEP = "keep";
    static final String IMAGE_LOSS = "image_loss";
    static final String PATCH_VOCABULARY = "patch_vocabulary";
    static final String IMAGE_VOCABULARY = "image_vocabulary";
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
    static final List<MethodKey> DV2_KEYS = concat(KEYS, List.of(
            new MethodKey("double-view", "the whole image through the patch network and L_mi (true/false)"),
            new MethodKey("image-weight", "alpha_mi, the weight of L_mi (the paper: 4)"),
            new MethodKey("vocabulary", "the dynamic vocabularies of patches and images (true/false)"),
            new MethodKey("versions", "D transformed versions of each image whose same-position patches are"
                    + " extra positives (1 = off; the paper: 4)"),
            new MethodKey("hybrid", "self-attention among the visible patches of an image after conv stages 2.."
                    + " (true/false)"),
            new MethodKey("vocabulary-size", "entries per vocabulary (the paper: 16384)"),
            new MethodKey("vocabulary-decay", "lambda, the mass decay per step (the paper: 0.99)"),
            new MethodKey("patch-vocabulary-weight", "alpha_vp (the paper: 0.5)"),
            new MethodKey("image-vocabulary-weight", "alpha_vi (the paper: 0.5)")));

    private static List<MethodKey> concat(List<MethodKey> a, List<MethodKey> b) {
        java.util.ArrayList<MethodKey> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    private final int masked;
    private final int layers;
    private final int heads;
    private final int mlpRatio;
    private final double dropout;
    private final int projection;
    private final double weight;
    private final String name;
    private final boolean doubleView;
    private final double imageWeight;
    private final boolean vocabulary;
    private final boolean hybrid;
    private final int versions;
    private final int vocabularySize;
    private final double decay;
    private final double patchVocabularyWeight;
    private final double imageVocabularyWeight;

    /** {@code selfie}. */
    public Selfie(MethodParams p) {
        this(NAME, p);
    }

    /** {@code dv2}. */
    public static Selfie dv2(MethodParams p) {
        return new Selfie(DV2, p);
    }

    private Selfie(String name, MethodParams p) {
        this.name = name;
        boolean dv2 = name.equals(DV2);
        this.doubleView = dv2 && p.bool("double-view");
        this.imageWeight = dv2 ? p.dbl("image-weight", 0, 1e4) : 0;
        this.vocabulary = dv2 && p.bool("vocabulary");
        this.hybrid = dv2 && p.bool("hybrid");
        this.versions = dv2 ? p.integer("versions", 1, 64) : 1;
        this.vocabularySize = dv2 ? p.integer("vocabulary-size", 1, 1 << 22) : 0;
        this.decay = dv2 ? p.dbl("vocabulary-decay", 1e-6, 1) : 1;
        this.patchVocabularyWeight = dv2 ? p.dbl("patch-vocabulary-weight", 1e-9, 1e4) : 0;
        this.imageVocabularyWeight = dv2 ? p.dbl("image-vocabulary-weight", 1e-9, 1e4) : 0;
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
        return name;
    }

    /** The vocabularies are per-step state: one paramavg worker, and not under gradient sharing. */
    @Override
    public java.util.Optional<String> refusal(String trainer, int workers) {
        java.util.Optional<String> base = PatchMethod.super.refusal(trainer, workers);
        if (base.isPresent() || !vocabulary) {
            return base;
        }
        if (trainer.equals("shared")) {
            return java.util.Optional.of("method " + name + " keeps dynamic vocabularies that each worker updates"
                    + " itself; under train.trainer = shared they never reach the driver (checkpoints and resumes"
                    + " would hold the initial vocabulary): use paramavg with train.workers = 1, or"
                    + " method.dv2.vocabulary = false");
        }
        return DynamicVocabularyLoss.refusal(name, trainer, workers);
    }

    /**
     * A 4 x 4 grid without gap or jitter, of fresh {@code augment.*} views per image and epoch: one,
     * or DV2's D {@code versions}.
     */
    @Override
    public PatchSettings patchSettings(AugmentSpec augment, long seed) {
        return new PatchSettings(GRID, 0, 0, versions, false, augment, seed, 0, 1);
    }

    /** D versions x (M patches, plus the whole view with the double view). */
    @Override
    public int rowsPerImage(AugmentSpec augment) {
        return versions * tokens();
    }

    /** T, the transformer's tokens per image: M, plus the [IMG] token with the double view. */
    int tokens() {
        return PATCHES + (doubleView ? 1 : 0);
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
        int t = tokens();
        if (hybrid) {
            addHybrid(g, spec, seed, t);
        }
        int k = projection;
        g.addVertex("codes_keep", new MergeVertex(), Backbones.EMBEDDING, KEEP);
        g.addLayer("token_mask", new TokenMask(), "codes_keep");
        g.addVertex("tokens", new ReshapeVertex('c', new int[] {-1, t * d}, null), "token_mask");
        g.addLayer("pos", new PositionEmbedding(t, false), "tokens");
        String prev = "pos";
        for (int l = 0; l < layers; l++) {
            g.addLayer("tf" + l, new TransformerBlock(heads, mlpRatio, dropout), prev);
            prev = "tf" + l;
        }
        // the transformer's outputs and the codes as rows [B T, d] (row i T + t: token t of image i), projected
        g.addVertex("ctx", new ReshapeVertex('f', new int[] {-1, t * d}, null), prev);
        g.addVertex("ctx_rows", new ReshapeVertex('c', new int[] {-1, d}, null), "ctx");
        g.addLayer("pred_proj", dense(d, k), "ctx_rows");
        g.addLayer("target_proj", dense(d, k), Backbones.EMBEDDING);
        g.addVertex("pred_img", new ReshapeVertex('c', new int[] {-1, t * k}, null), "pred_proj");
        g.addVertex("target_img", new ReshapeVertex('c', new int[] {-1, t * k}, null), "target_proj");
        String predPatches = "pred_img";
        String targetPatches = "target_img";
        if (doubleView) {
            predPatches = subset(g, "pred_patches", "pred_img", 0, PATCHES * k);
            targetPatches = subset(g, "target_patches", "target_img", 0, PATCHES * k);
            subset(g, "pred_image", "pred_img", PATCHES * k, k);
            subset(g, "target_image", "target_img", PATCHES * k, k);
        }
        List<String> outputs = new java.util.ArrayList<>();
        g.addVertex("pred_target", new MergeVertex(), predPatches, targetPatches);
        g.addLayer(LOSS, new MaskedPatchLoss(PATCHES, k, weight).withVersions(versions), "pred_target");
        outputs.add(LOSS);
        if (doubleView) {
            g.addVertex("image_pair", new MergeVertex(), "pred_image", "target_image");
            g.addLayer(IMAGE_LOSS, new MaskedPatchLoss(1, k, imageWeight).withVersions(versions), "image_pair");
            outputs.add(IMAGE_LOSS);
        }
        if (vocabulary) {
            // pair t of image i: [prediction | target] of patch t, for the vocabulary's [B, M 2K] layout
            g.addVertex("pred_rows", new ReshapeVertex('c', new int[] {-1, k}, null), predPatches);
            g.addVertex("target_rows", new ReshapeVertex('c', new int[] {-1, k}, null), targetPatches);
            g.addVertex("patch_pairs", new MergeVertex(), "pred_rows", "target_rows");
            g.addVertex("patch_pairs_img", new ReshapeVertex('c', new int[] {-1, PATCHES * 2 * k}, null),
                    "patch_pairs");
            g.addLayer(PATCH_VOCABULARY, new DynamicVocabularyLoss(k, vocabularySize, decay, patchVocabularyWeight)
                    .withTokens(PATCHES), "patch_pairs_img");
            outputs.add(PATCH_VOCABULARY);
            if (doubleView) {
                g.addLayer(IMAGE_VOCABULARY, new DynamicVocabularyLoss(k, vocabularySize, decay,
                        imageVocabularyWeight), "image_pair");
                outputs.add(IMAGE_VOCABULARY);
            }
        }
        return g.setOutputs(outputs.toArray(new String[0])).build();
    }

    /**
     * The hybrid architecture: after conv stages 2.. of the backbone, a {@link PatchAttention} over the
     * T rows of each image reads the keep flag (the keep column upsampled to the stage's size and
     * merged as a last channel); the stage's consumers read its output instead.
     */
    private void addHybrid(GraphBuilder g, ModelSpec spec, long seed, int t) {
        java.util.Map<String, InputType> types = spec.backboneGraph(seed).setOutputs(Backbones.EMBEDDING)
                .getLayerActivationTypes();
        List<String> stages = Backbones.get(spec.backbone()).stages();
        for (int i = 1; i < stages.size(); i++) {
            String end = stages.get(i);
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) types.get(end);
            if (c.getChannels() % heads != 0) {
                throw new UserError("method." + name + ".heads = " + heads + " must divide the " + c.getChannels()
                        + " channels of " + spec.backbone() + " stage " + (i + 1) + " (method." + name + ".hybrid)");
            }
            String sa = "sa" + (i + 1);
            for (List<String> inputs : g.getVertexInputs().values()) {
                inputs.replaceAll(v -> v.equals(end) ? sa : v);
            }
            String up = "keep_up" + (i + 1);
            g.addLayer(up, new org.deeplearning4j.nn.conf.layers.Upsampling2D.Builder()
                    .size(new int[] {(int) c.getHeight(), (int) c.getWidth()}).build(), KEEP);
            g.inputPreProcessor(up, new org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor(1, 1, 1));
            g.addVertex("keep_map" + (i + 1), new MergeVertex(), end, up);
            g.addLayer(sa, new dev.pretext.nn.PatchAttention(t, heads), "keep_map" + (i + 1));
        }
    }

    /**
     * Whole images through the patch network alone: with the hybrid architecture, the trained
     * network without its self-attention layers, which are the identity for a row that is not a
     * visible patch (as DV2's whole view is).
     */
    @Override
    public org.deeplearning4j.nn.graph.ComputationGraph evaluationGraph(
            org.deeplearning4j.nn.graph.ComputationGraph trained, String backbone, double width, int height,
            int imageWidth) {
        if (!hybrid) {
            return trained;
        }
        org.deeplearning4j.nn.graph.ComputationGraph eval = new org.deeplearning4j.nn.graph.ComputationGraph(
                Backbones.encoderOnly(backbone, width, height, imageWidth, 0, new org.nd4j.linalg.learning.config.NoOp()));
        eval.init();
        for (org.deeplearning4j.nn.api.Layer l : eval.getLayers()) {
            if (l.numParams() > 0) {
                l.setParams(trained.getLayer(l.conf().getLayer().getLayerName()).params().dup());
            }
        }
        return eval;
    }

    private static DenseLayer dense(int in, int out) {
        return new DenseLayer.Builder().nIn(in).nOut(out).activation(Activation.IDENTITY).build();
    }

    private static String subset(GraphBuilder g, String name, String from, int start, int width) {
        g.addVertex(name, new SubsetVertex(start, start + width - 1), from);
        return name;
    }

    /**
     * With D versions, each of the B images is D consecutive "images" (version v of image i at
     * i D + v; B D below in place of B).
     * Features: the patches [B T, 3, p, p] (image-major; row M of an image its whole view with the
     * double view) and the keep column [B T, 1]; labels, one per output: the mask [B, M], then with
     * the double view ones [B, 1], then with the vocabulary the mask again and (double view) ones.
     */
    @Override
    public MultiDataSet assemblePatches(List<List<PatchRecord>> images, float[] mean, float[] std,
                                        SplittableRandom rng) {
        List<PatchRecord> rows = new java.util.ArrayList<>();      // version v of image i at i D + v
        for (List<PatchRecord> image : images) {
            if (image.size() != versions) {
                throw new IllegalStateException(name + ": " + image.size() + " views of image " + image.get(0).id()
                        + ", expected " + versions);
            }
            rows.addAll(image);
        }
        int b = rows.size();
        int t = tokens();
        PatchRecord first = rows.get(0);
        int side = first.size();
        int per = 3 * side * side;
        float[] x = new float[b * t * per];
        float[] keep = new float[b * t];
        float[] mask = new float[b * PATCHES];
        for (int i = 0; i < b; i++) {
            PatchRecord r = rows.get(i);
            if (r.size() != side) {
                throw new UserError("image " + r.id() + " gives " + r.size() + "-pixel patches; the batch's first gives "
                        + side);
            }
            for (int m = 0; m < PATCHES; m++) {
                PatchClassifier.patchTensor(r, m, mean, std, x, (i * t + m) * per);
                keep[i * t + m] = 1f;
            }
            if (doubleView) {
                dev.pretext.augment.ChwTensors.normalized(wholeView(r), side, side, 3, mean, std, x,
                        (i * t + PATCHES) * per);                       // keep 0: the [IMG] token
            }
            for (int m : PatchMethod.distinctPositions(rng, PATCHES, masked)) {
                keep[i * t + m] = 0f;
                mask[i * PATCHES + m] = 1f;
            }
        }
        INDArray features = Nd4j.create(x, new long[] {(long) b * t, 3, side, side}, 'c');
        INDArray keeps = Nd4j.create(keep, new long[] {(long) b * t, 1}, 'c');
        INDArray masks = Nd4j.create(mask, new long[] {b, PATCHES}, 'c');
        List<INDArray> labels = new java.util.ArrayList<>(List.of(masks));
        if (doubleView) {
            labels.add(Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, b, 1));
        }
        if (vocabulary) {
            labels.add(masks.dup());
            if (doubleView) {
                labels.add(Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, b, 1));
            }
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features, keeps},
                labels.toArray(new INDArray[0]));
    }

    /**
     * The whole view at a patch's size: the 4 x 4 grid of p x p patches (no gap) reassembled and
     * average-pooled 4 x 4, HWC RGB bytes (rounded).
     */
    static byte[] wholeView(PatchRecord r) {
        int p = r.size();
        byte[] out = new byte[p * p * 3];
        byte[][] patches = new byte[PATCHES][];
        for (int m = 0; m < PATCHES; m++) {
            patches[m] = PatchClassifier.rgb(r, m);
        }
        for (int y = 0; y < p; y++) {
            for (int xx = 0; xx < p; xx++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = 0; dy < GRID; dy++) {
                        for (int dx = 0; dx < GRID; dx++) {
                            int gy = y * GRID + dy;
                            int gx = xx * GRID + dx;
                            byte[] patch = patches[(gy / p) * GRID + gx / p];
                            sum += patch[((gy % p) * p + gx % p) * 3 + c] & 0xff;
                        }
                    }
                    out[(y * p + xx) * 3 + c] = (byte) Math.round(sum / (double) (GRID * GRID));
                }
            }
        }
        return out;
    }
}
