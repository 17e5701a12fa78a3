package dev.pretext.method;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ChwTensors;
import dev.pretext.nn.Backbones;
import dev.pretext.patches.PatchRecord;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.UnstackVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The base of the patch classification pretext tasks (relative position, jigsaw): each example is
 * T tiles of one image, encoded by the shared backbone (tile t of image i at row t*B + i of the one
 * image input), their embeddings concatenated in tile order ({@code UnstackVertex} per tile, then a
 * {@code MergeVertex}), a hidden layer with ReLU ({@code head-hidden}) and a softmax over the task's
 * classes (cross-entropy). Labels: one-hot [B, classes].
 */
abstract class PatchClassifier implements PatchMethod {
    private static final long serialVersionUID = 1L;
    static final String LOSS = "loss";
    static final MethodKey HEAD_HIDDEN = new MethodKey("head-hidden", "width of the classifier's hidden layer");

    private final int headHidden;
    private final int gap;
    private final int jitter;

    /** Reads {@code head-hidden}, and the 3 x 3 grid's {@code gap} and {@code jitter} (checked here). */
    PatchClassifier(MethodParams p) {
        this.headHidden = p.integer("head-hidden", 1, 1 << 16);
        this.gap = p.integer("gap", 0, 1 << 12);
        this.jitter = p.integer("jitter", 0, 1 << 12);
        new dev.pretext.patches.PatchGrid(3, gap, jitter);   // bad gap/jitter fail at configuration
    }

    /** The 3 x 3 grid with the method's gap and jitter, the image itself only. */
    @Override
    public dev.pretext.patches.PatchSettings patchSettings(AugmentSpec augment, long seed) {
        return new dev.pretext.patches.PatchSettings(3, gap, jitter, 0, true, augment, seed, 0, 1);
    }

    /** T, tiles per example. */
    abstract int tiles();

    /** Classes of the task. */
    abstract int classes();

    /**
     * Image i's example: the tiles as patch positions of {@code rows}' first row, in the order
     * they are fed, and the class; {@code rng} draws the per-step choice.
     */
    abstract Example example(List<PatchRecord> rows, SplittableRandom rng);

    record Example(PatchRecord record, int[] positions, int label) {
    }

    @Override
    public int rowsPerImage(AugmentSpec augment) {
        return tiles();
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        GraphBuilder g = spec.backboneGraph(seed);
        int features = spec.featureDim();
        String[] parts = new String[tiles()];
        for (int t = 0; t < tiles(); t++) {
            parts[t] = "tile" + t;
            g.addVertex(parts[t], new UnstackVertex(t, tiles()), Backbones.EMBEDDING);
        }
        g.addVertex("tiles", new MergeVertex(), parts);
        g.addLayer("head_fc", new DenseLayer.Builder().nIn((long) features * tiles()).nOut(headHidden)
                .activation(Activation.RELU).build(), "tiles");
        g.addLayer(LOSS, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(headHidden).nOut(classes())
                .activation(Activation.SOFTMAX).build(), "head_fc");
        return g.setOutputs(LOSS).build();
    }

    @Override
    public MultiDataSet assemblePatches(List<List<PatchRecord>> images, float[] mean, float[] std,
                                        SplittableRandom rng) {
        int b = images.size();
        int t = tiles();
        PatchRecord first = images.get(0).get(0);
        int side = first.size();
        int per = 3 * side * side;
        float[] x = new float[t * b * per];
        float[] y = new float[b * classes()];
        for (int i = 0; i < b; i++) {
            Example e = example(images.get(i), rng);
            if (e.positions().length != t) {
                throw new IllegalStateException(name() + ": " + e.positions().length + " tiles, expected " + t);
            }
            for (int k = 0; k < t; k++) {
                patchTensor(e.record(), e.positions()[k], mean, std, x, (k * b + i) * per);
            }
            y[i * classes() + e.label()] = 1f;
        }
        INDArray features = Nd4j.create(x, new long[] {(long) t * b, 3, side, side}, 'c');
        INDArray labels = Nd4j.create(y, new long[] {b, classes()}, 'c');
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, new INDArray[] {labels});
    }

    /** Patch {@code position} of {@code r} as normalised CHW RGB floats (grey patches repeated) at {@code offset}. */
    static void patchTensor(PatchRecord r, int position, float[] mean, float[] std, float[] dst, int offset) {
        ChwTensors.normalized(rgb(r, position), r.size(), r.size(), 3, mean, std, dst, offset);
    }

    /** Patch {@code position}'s uint8 HWC bytes with 3 channels (a grey patch repeated). */
    static byte[] rgb(PatchRecord r, int position) {
        if (r.channels() != 3 && r.channels() != 1) {
            throw new IllegalArgumentException("patch of image " + r.id() + " has " + r.channels() + " channels");
        }
        byte[] px = r.patches().get(position);
        if (r.channels() == 3) {
            return px;
        }
        byte[] rgb = new byte[px.length * 3];
        for (int i = 0; i < px.length; i++) {
            rgb[3 * i] = px[i];
            rgb[3 * i + 1] = px[i];
            rgb[3 * i + 2] = px[i];
        }
        return rgb;
    }
}
