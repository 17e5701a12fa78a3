package dev.pretext.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A tiny separable 2-class problem and a dense net with an "embedding" layer, for trainer tests. */
final class TinyProblem {
    static final int IN = 4;

    private TinyProblem() {
    }

    static ComputationGraph net(IUpdater updater, long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(updater)
                .graphBuilder().addInputs("in")
                .addLayer("embedding", new DenseLayer.Builder().nIn(IN).nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).nIn(8).nOut(2).build(), "embedding")
                .setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** Class = sign of x0 + x1, well separated (margin 1). */
    static MultiDataSet batch(Random r, int n) {
        INDArray x = Nd4j.create(DataType.FLOAT, n, IN);
        INDArray y = Nd4j.create(DataType.FLOAT, n, 2);
        for (int i = 0; i < n; i++) {
            int c = r.nextBoolean() ? 1 : 0;
            double shift = c == 1 ? 1.0 : -1.0;
            for (int j = 0; j < IN; j++) {
                x.putScalar(i, j, (j < 2 ? shift : 0.0) + 0.5 * r.nextGaussian());
            }
            y.putScalar(i, c, 1.0);
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(x, y);
    }

    static List<MultiDataSet> batches(long seed, int count, int n) {
        Random r = new Random(seed);
        List<MultiDataSet> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(batch(r, n));
        }
        return out;
    }
}
