package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeaturesJobTest extends SparkTestBase {
    private static final double[] MEAN = {0.4, 0.5, 0.6};
    private static final double[] STD = {0.2, 0.25, 0.3};

    private static ComputationGraph graph;
    private static List<Row> rows;
    private static Map<String, byte[]> pixels;
    private static Map<String, int[]> shapes;

    @BeforeAll
    static void setUp() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(11).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(5)
                        .activation(Activation.TANH).build(), "in")
                .addLayer("embedding", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "embedding")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 3))
                .build();
        graph = new ComputationGraph(conf);
        graph.init();

        Random rnd = new Random(5);
        rows = new ArrayList<>();
        pixels = new HashMap<>();
        shapes = new HashMap<>();
        // Two image sizes mixed in one partition exercise the batch split at a shape change
        // (global pooling makes the network size-agnostic).
        for (int i = 0; i < 11; i++) {
            int h = i % 4 == 3 ? 6 : 8, w = i % 4 == 3 ? 7 : 8;
            String id = "t/" + i;
            byte[] d = TestImages.randomPixels(rnd, h, w);
            rows.add(TestImages.image(id, i < 8 ? "train" : "test", i % 3, h, w, d, "raw"));
            pixels.put(id, d);
            shapes.put(id, new int[]{h, w});
        }
    }

    /** Independent of PixelNormalization: index arithmetic written out for NCHW. */
    private static double[] driverEmbedding(byte[] hwc, int h, int w) {
        INDArray x = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 3, h, w);
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++)
                for (int c = 0; c < 3; c++) {
                    double v = ((hwc[(y * w + xx) * 3 + c] & 0xff) / 255.0 - MEAN[c]) / STD[c];
                    x.putScalar(new long[]{0, c, y, xx}, v);
                }
        return graph.feedForward(x, false).get("embedding").toDoubleVector();
    }

    @Test
    void executorFeaturesMatchDriverInference() {
        Dataset<Row> images = TestImages.table(spark, rows, 2);
        EncoderFeatures job = new EncoderFeatures(graph, "embedding", new PixelNormalization(MEAN, STD), 3);
        List<Row> out = job.compute(images).collectAsList();
        assertEquals(rows.size(), out.size());
        for (Row r : out) {
            String id = r.getString(0);
            int[] hw = shapes.get(id);
            double[] expected = driverEmbedding(pixels.get(id), hw[0], hw[1]);
            double[] actual = ((Vector) r.get(4)).toArray();
            assertEquals(5, actual.length);
            assertArrayEquals(expected, actual, 1e-5, id);
            assertEquals("embedding", r.getString(3));
            int i = Integer.parseInt(id.substring(2));
            assertEquals(i < 8 ? "train" : "test", r.getString(1));
            assertEquals(i % 3, r.getInt(2));
        }
    }

    @Test
    void pixelFeaturesAreAreaAveragedDownToTheSetting() {
        List<Row> out = PixelFeatures.compute(TestImages.table(spark, rows, 2), 4).collectAsList();
        assertEquals(rows.size(), out.size());
        for (Row r : out) {
            int[] hw = shapes.get(r.getString(0));
            int[] size = PixelFeatures.reducedSize(hw[0], hw[1], 4);   // 8x8 -> 4x4, 6x7 -> 3x4
            assertEquals(4, Math.max(size[0], size[1]));
            double[] want = PixelFeatures.areaAverage(pixels.get(r.getString(0)), hw[0], hw[1], 3, size[0], size[1]);
            double[] v = ((Vector) r.get(4)).toArray();
            assertEquals(size[0] * size[1] * 3, v.length);
            for (int i = 0; i < v.length; i++) assertEquals(want[i] / 255.0, v[i], 1e-12);
        }
    }

    @Test
    void pixelFeaturesAreExactBytesOver255() {
        Dataset<Row> feats = PixelFeatures.compute(TestImages.table(spark, rows, 2));
        FeatureTable.requireSchema(feats, "pixel features");
        List<Row> out = feats.collectAsList();
        assertEquals(rows.size(), out.size());
        for (Row r : out) {
            byte[] d = pixels.get(r.getString(0));
            double[] v = ((Vector) r.get(4)).toArray();
            assertEquals(d.length, v.length);
            for (int i = 0; i < d.length; i++) assertEquals((d[i] & 0xff) / 255.0, v[i], 0.0);
            assertEquals(FeatureTable.PIXELS_LAYER, r.getString(3));
        }
    }

    @Test
    void unknownLayerIsAUserErrorListingLayers() {
        UserError e = assertThrows(UserError.class,
                () -> new EncoderFeatures(graph, "nope", PixelNormalization.unit(3), 8));
        assertTrue(e.getMessage().contains("embedding"), e.getMessage());
    }

    @Test
    void nonRawRecordIsNamedInTheError() {
        List<Row> bad = new ArrayList<>(rows.subList(0, 2));
        bad.add(TestImages.image("t/png", "train", 0, 8, 8, new byte[]{1, 2}, "png"));
        Dataset<Row> images = TestImages.table(spark, bad, 1);
        Exception e = assertThrows(Exception.class, () -> PixelFeatures.compute(images).collectAsList());
        assertTrue(String.valueOf(e.getMessage()).contains("t/png"), e.getMessage());
        List<Row> shortData = List.of(TestImages.image("t/short", "train", 0, 8, 8, new byte[10], "raw"));
        Exception e2 = assertThrows(Exception.class, () -> new EncoderFeatures(graph, "embedding",
                PixelNormalization.unit(3), 4).compute(TestImages.table(spark, shortData, 1)).collectAsList());
        assertTrue(String.valueOf(e2.getMessage()).contains("t/short"), e2.getMessage());
    }
}
