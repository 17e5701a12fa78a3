package dev.pretext.method;

import dev.pretext.nn.Backbones;
import dev.pretext.nn.NtXentLoss;
import dev.pretext.nn.PairIds;
import dev.pretext.nn.Projector;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SimCLR (Chen et al. 2020), as the PyTorch peer: both views of every image go through one forward
 * pass (batch norm sees all 2B views), backbone - projector (Linear-BN-ReLU-Linear) - NT-Xent.
 * Minibatch: view a in rows 0..B-1, view b in rows B..2B-1, labels the pair ids 0..B-1 twice.
 */
public final class SimClr implements PretextMethod {

    public static final String NAME = "simclr";
    public static final String LOSS = "loss";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        NeuralNetConfiguration.Builder defaults = Backbones.defaults(seed, spec.updater(), DataType.FLOAT);
        if (spec.weightDecay() > 0) {
            defaults.l2(spec.weightDecay());
        }
        GraphBuilder g = Backbones.imageGraph(defaults, spec.inputHeight(), spec.inputWidth());
        int features = Backbones.get(spec.backbone()).addTo(g, Backbones.INPUT, spec.width());
        String z = Projector.addTo(g, Backbones.EMBEDDING, features, spec.resolvedProjectionHidden(),
                spec.projectionDim());
        g.addLayer(LOSS, new NtXentLoss(spec.temperature()), z);
        return g.setOutputs(LOSS).build();
    }

    @Override
    public DataSet assemble(float[] viewA, float[] viewB, int batchSize, int height, int width) {
        if (batchSize < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("batch " + batchSize + " of " + height + "x" + width
                    + " images: all must be positive");
        }
        long perView = (long) batchSize * Backbones.CHANNELS * height * width;
        if (perView * 2 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("minibatch of 2x" + perView + " values is too large for one array");
        }
        int perImage = Backbones.CHANNELS * height * width;
        checkView("a", viewA, perView, perImage);
        checkView("b", viewB, perView, perImage);
        float[] both = new float[(int) (2 * perView)];
        System.arraycopy(viewA, 0, both, 0, (int) perView);
        System.arraycopy(viewB, 0, both, (int) perView, (int) perView);
        INDArray features = Nd4j.create(both, new long[] {2L * batchSize, Backbones.CHANNELS, height, width}, 'c');
        INDArray labels = Nd4j.create(PairIds.stacked(batchSize), new long[] {2L * batchSize, 1}, 'c');
        PairIds.check(labels);
        return new DataSet(features, labels);
    }

    private static void checkView(String name, float[] view, long expected, int perImage) {
        if (view == null || view.length != expected) {
            throw new IllegalArgumentException("view " + name + " has " + (view == null ? "no" : view.length)
                    + " values; expected " + expected + " (batch x 3 x height x width)");
        }
        for (int i = 0; i < view.length; i++) {
            if (!Float.isFinite(view[i])) {
                throw new IllegalArgumentException("view " + name + " holds " + view[i] + " at flat index " + i
                        + " (image " + i / perImage + ")");
            }
        }
    }
}
