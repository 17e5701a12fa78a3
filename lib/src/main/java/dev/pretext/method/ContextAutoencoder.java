package dev.pretext.method;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.ChwTensors;
import dev.pretext.nn.Backbones;
import dev.pretext.nn.PatchGridFold;
import dev.pretext.nn.PatchGridUnfold;
import dev.pretext.patches.ContextNeighbourhood;
import dev.pretext.patches.PatchRecord;
import dev.pretext.patches.PatchSettings;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.UnstackVertex;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The context-patch autoencoder ("visual word embedding"): a 4 x 4 grid without gap; each patch is
 * reconstructed from its 8 neighbours (clockwise from top-left, {@link ContextNeighbourhood}; a
 * neighbour outside the grid is a zero patch, i.e. the mean colour after normalisation). The 8
 * neighbours go through one tower shared across them (the backbone: neighbour k of example e at
 * row k*E + e), the 8 codes are concatenated, and a decoder (two dense layers with ReLU, a reshape
 * to [decoder-channels, p/2, p/2], x2 nearest upsampling, three 3x3 convolutions, the last with a
 * sigmoid) outputs the patch in [0, 1], scored by pixel-wise L2 against x/255 (DL4J's CnnLossLayer
 * MSE: the mean over channels and the batch, summed over the p x p pixels).
 *
 * <p>Per step, {@code positions} of the 16 positions of each image are drawn (without replacement;
 * 16 = all): E = positions x B examples per minibatch. Evaluation feeds the 16 concatenated patch
 * embeddings of the whole image ({@link PatchGridFold}, the tower, {@link PatchGridUnfold}) to the
 * probes: 16 x the backbone's width.
 */
public final class ContextAutoencoder implements PatchMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "context-ae";
    static final String LOSS = "loss";
    static final String EVAL = "patch_embeddings";
    static final int GRID = 4;
    static final List<MethodKey> KEYS = List.of(
            new MethodKey("positions", "patches reconstructed per image and step, drawn from the 16 (16 = all)"),
            new MethodKey("decoder-hidden", "width of the decoder's first dense layer"),
            new MethodKey("decoder-channels", "channels of the decoder's convolutions"));
    private final int positions;
    private final int hidden;
    private final int channels;

    public ContextAutoencoder(MethodParams p) {
        this.positions = p.integer("positions", 1, GRID * GRID);
        this.hidden = p.integer("decoder-hidden", 1, 1 << 16);
        this.channels = p.integer("decoder-channels", 1, 4096);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PatchSettings patchSettings(AugmentSpec augment, long seed) {
        return new PatchSettings(GRID, 0, 0, 0, true, augment, seed, 0, 1);
    }

    /** 8 neighbour patches per reconstructed patch. */
    @Override
    public int rowsPerImage(AugmentSpec augment) {
        return ContextNeighbourhood.SIZE * positions;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        int p = spec.inputHeight();
        if (p != spec.inputWidth() || p % 2 != 0) {
            throw new dev.pretext.UserError("context-ae needs square patches of an even side (images whose shorter"
                    + " side is a multiple of 8), got " + spec.inputWidth() + "x" + spec.inputHeight());
        }
        GraphBuilder g = spec.backboneGraph(seed);
        int features = spec.featureDim();
        int k = ContextNeighbourhood.SIZE;
        String[] parts = new String[k];
        for (int t = 0; t < k; t++) {
            parts[t] = "nb" + t;
            g.addVertex(parts[t], new UnstackVertex(t, k), Backbones.EMBEDDING);
        }
        g.addVertex("context", new MergeVertex(), parts);
        int half = p / 2;
        g.addLayer("dec_fc1", new DenseLayer.Builder().nIn((long) features * k).nOut(hidden)
                .activation(Activation.RELU).build(), "context");
        g.addLayer("dec_fc2", new DenseLayer.Builder().nIn(hidden).nOut((long) channels * half * half)
                .activation(Activation.RELU).build(), "dec_fc1");
        g.addLayer("dec_up", new Upsampling2D.Builder(2).build(), "dec_fc2");
        g.inputPreProcessor("dec_up", new FeedForwardToCnnPreProcessor(half, half, channels));
        g.addLayer("dec_conv1", conv(channels, channels, Activation.RELU), "dec_up");
        g.addLayer("dec_conv2", conv(channels, channels, Activation.RELU), "dec_conv1");
        g.addLayer("dec_conv3", conv(channels, Backbones.CHANNELS, Activation.SIGMOID), "dec_conv2");
        g.addLayer(LOSS, new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), "dec_conv3");
        return g.setOutputs(LOSS).build();
    }

    private static ConvolutionLayer conv(int in, int out, Activation a) {
        return new ConvolutionLayer.Builder(3, 3).nIn(in).nOut(out).activation(a).build();
    }

    @Override
    public MultiDataSet assemblePatches(List<List<PatchRecord>> images, float[] mean, float[] std,
                                        SplittableRandom rng) {
        int b = images.size();
        int e = b * positions;
        PatchRecord first = images.get(0).get(0);
        int side = first.size();
        int per = 3 * side * side;
        int k = ContextNeighbourhood.SIZE;
        float[] x = new float[k * e * per];       // zeros: a zero patch is the mean colour after normalisation
        float[] y = new float[e * per];
        int[][] table = ContextNeighbourhood.table(GRID);
        for (int i = 0; i < b; i++) {
            PatchRecord r = images.get(i).get(0);
            int[] chosen = PatchMethod.distinctPositions(rng, GRID * GRID, positions);
            for (int q = 0; q < positions; q++) {
                int ex = i * positions + q;
                int pos = chosen[q];
                for (int n = 0; n < k; n++) {
                    int nb = table[pos][n];
                    if (nb >= 0) {
                        PatchClassifier.patchTensor(r, nb, mean, std, x, (n * e + ex) * per);
                    }
                }
                unit(r, pos, y, ex * per);
            }
        }
        INDArray features = Nd4j.create(x, new long[] {(long) k * e, 3, side, side}, 'c');
        INDArray labels = Nd4j.create(y, new long[] {e, 3, side, side}, 'c');
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {features}, new INDArray[] {labels});
    }


    private static void unit(PatchRecord r, int position, float[] dst, int offset) {
        ChwTensors.unit(PatchClassifier.rgb(r, position), r.size(), r.size(), 3, dst, offset);
    }

    @Override
    public String evaluationLayer() {
        return EVAL;
    }

    /** Whole images cut into the 4 x 4 grid, each patch through the trained tower, the 16 embeddings concatenated. */
    @Override
    public ComputationGraph evaluationGraph(ComputationGraph trained, String backbone, double width, int height,
                                            int imageWidth) {
        NeuralNetConfiguration.Builder defaults = Backbones.defaults(0, new org.nd4j.linalg.learning.config.NoOp(),
                DataType.FLOAT);
        GraphBuilder g = Backbones.imageGraph(defaults, height, imageWidth);
        g.addLayer("patch_fold", new PatchGridFold(GRID, height, imageWidth), Backbones.INPUT);
        int features = Backbones.get(backbone).addTo(g, "patch_fold", width);
        g.addLayer(EVAL, new PatchGridUnfold(GRID * GRID, features), Backbones.EMBEDDING);
        ComputationGraph eval = new ComputationGraph(g.setOutputs(EVAL).build());
        eval.init();
        for (Layer l : eval.getLayers()) {
            if (l.numParams() > 0) {
                String name = l.conf().getLayer().getLayerName();
                l.setParams(trained.getLayer(name).params().dup());
            }
        }
        return eval;
    }
}
