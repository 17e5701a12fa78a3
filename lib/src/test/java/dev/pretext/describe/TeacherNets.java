package dev.pretext.describe;

import dev.pretext.data.ImageRecord;
import dev.pretext.eval.PixelNormalization;
import dev.pretext.nn.Backbones;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Tiny teacher networks for the describe tests, and an independent input transform. */
final class TeacherNets {
    static final double[] MEAN = {0.4, 0.5, 0.6};
    static final double[] STD = {0.2, 0.25, 0.3};

    private TeacherNets() {
    }

    static PixelNormalization normalization() {
        return new PixelNormalization(MEAN, STD);
    }

    /** A Pretext conv4 encoder at width 1/8 (embedding dimension 32). */
    static ComputationGraph conv4(int size) {
        ComputationGraph g = new ComputationGraph(Backbones.encoderOnly("conv4", 0.125, size, size, 3, new Adam(1e-3)));
        g.init();
        // move the batch-norm statistics away from (0, 1) so that inference mode is visible
        g.params().addi(Nd4j.rand(DataType.FLOAT, g.params().shape()).muli(0.05));
        return g;
    }

    /** A conv layer stack with a convolutional input type: conv, max-pool, dense (6), softmax (3). */
    static MultiLayerNetwork convStack(int size) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(size, size, 3))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** A dense stack on flattened images (no input type: the first layer takes 3*size*size values). */
    static MultiLayerNetwork denseStack(int size) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(6).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(3 * size * size).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static File save(org.deeplearning4j.nn.api.Model model, File file) {
        try {
            ModelSerializer.writeModel(model, file, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** NCHW [n, 3, h, w] of (x/255 - MEAN) / STD, written out index by index (not through PixelNormalization). */
    static INDArray nchw(List<ImageRecord> images) {
        ImageRecord first = images.get(0);
        int h = first.height();
        int w = first.width();
        INDArray x = Nd4j.create(DataType.FLOAT, images.size(), 3, h, w);
        for (int i = 0; i < images.size(); i++) {
            ImageRecord r = images.get(i);
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    for (int c = 0; c < 3; c++) {
                        int v = r.channels() == 1 ? r.pixel(y, xx, 0) : r.pixel(y, xx, c);
                        x.putScalar(new long[]{i, c, y, xx}, (v / 255.0 - MEAN[c]) / STD[c]);
                    }
                }
            }
        }
        return x;
    }
}
