package dev.pretext.eval;

import dev.pretext.UserError;
import dev.pretext.data.DecodedImage;
import dev.pretext.data.ImageEncoder;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
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
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder as a Spark ML Transformer: in an MLlib Pipeline before LogisticRegression, saved and
 * loaded with identical vectors and predictions; its vectors are a driver-side forward pass of the
 * normalised pixels and the features stage's ({@link EncoderFeatures}); PNG rows decode to the
 * same vectors as their raw pixels; the Spark SQL function gives the same vectors.
 */
class EncoderTransformerTest extends SparkTestBase {
    private static final double[] MEAN = {0.4, 0.5, 0.6};
    private static final double[] STD = {0.2, 0.25, 0.3};

    private static ComputationGraph graph;
    private static List<Row> rows;
    private static Map<String, byte[]> pixels;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(3).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(6)
                        .activation(Activation.TANH).build(), "in")
                .addLayer("embedding", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "embedding")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 3))
                .build();
        graph = new ComputationGraph(conf);
        graph.init();
        // two classes a linear model can tell apart from the encoder's pooled activations: dark and bright images
        Random rnd = new Random(9);
        rows = new ArrayList<>();
        pixels = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            int label = i % 2;
            byte[] d = new byte[8 * 8 * 3];
            for (int k = 0; k < d.length; k++) {
                d[k] = (byte) (label == 0 ? rnd.nextInt(110) : 145 + rnd.nextInt(110));
            }
            String id = "t/" + i;
            rows.add(TestImages.image(id, i < 30 ? "train" : "test", label, 8, 8, d, "raw"));
            pixels.put(id, d);
        }
    }

    private static double[] driverEmbedding(byte[] hwc) {
        INDArray x = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 3, 8, 8);
        for (int y = 0; y < 8; y++)
            for (int xx = 0; xx < 8; xx++)
                for (int c = 0; c < 3; c++) {
                    double v = ((hwc[(y * 8 + xx) * 3 + c] & 0xff) / 255.0 - MEAN[c]) / STD[c];
                    x.putScalar(new long[]{0, c, y, xx}, v);
                }
        return graph.feedForward(x, false).get("embedding").toDoubleVector();
    }

    private static EncoderTransformer encoder() {
        return EncoderTransformer.of(graph, "embedding", new PixelNormalization(MEAN, STD)).setBatchSize(7);
    }

    /** id to (features, prediction, probability) of a pipeline's output. */
    private static Map<String, Object[]> byId(Dataset<Row> out) {
        Map<String, Object[]> m = new HashMap<>();
        for (Row r : out.select("id", "features", "prediction", "probability").collectAsList()) {
            m.put(r.getString(0), new Object[]{((Vector) r.get(1)).toArray(), r.getDouble(2),
                    ((Vector) r.get(3)).toArray()});
        }
        return m;
    }

    @Test
    void inAnMllibPipelineBeforeLogisticRegressionSavedAndLoadedGivesIdenticalVectorsAndPredictions() throws Exception {
        Dataset<Row> images = TestImages.table(spark, rows, 3);
        Dataset<Row> train = images.where("split = 'train'");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{encoder(),
                new LogisticRegression().setFeaturesCol("features").setLabelCol("label").setMaxIter(50)});
        PipelineModel fitted = pipeline.fit(train);
        Map<String, Object[]> before = byId(fitted.transform(images));
        assertEquals(rows.size(), before.size());

        // the vectors are the encoder's embedding of the normalised pixels, computed on the driver
        for (Map.Entry<String, Object[]> e : before.entrySet()) {
            double[] v = (double[]) e.getValue()[0];
            assertEquals(6, v.length);
            assertArrayEquals(driverEmbedding(pixels.get(e.getKey())), v, 1e-5, e.getKey());
        }
        // and the probe learnt the two classes from them
        long right = rows.stream().filter(r -> (double) before.get(r.getString(0))[1] == r.getInt(2)).count();
        assertTrue(right >= 36, "logistic regression on the encoder's vectors: " + right + " of 40 right");

        String dir = tmp.resolve("pipeline").toString();
        fitted.write().overwrite().save(dir);
        Path stage0;
        try (var stages = Files.list(tmp.resolve("pipeline/stages"))) {
            stage0 = stages.filter(p -> p.getFileName().toString().startsWith("0_")).findFirst().orElseThrow();
        }
        assertTrue(Files.size(stage0.resolve(EncoderTransformer.MODEL_FILE)) > 0, "the encoder's model.zip is saved");
        PipelineModel loaded = PipelineModel.load(dir);
        Transformer[] stages = loaded.stages();
        assertEquals(2, stages.length);
        EncoderTransformer enc = assertInstanceOf(EncoderTransformer.class, stages[0]);
        assertInstanceOf(LogisticRegressionModel.class, stages[1]);
        assertEquals(fitted.stages()[0].uid(), enc.uid());
        assertArrayEquals(MEAN, enc.getMean(), 1e-7);
        assertArrayEquals(STD, enc.getStd(), 1e-7);
        assertEquals("embedding", enc.getLayer());
        assertEquals(7, enc.getBatchSize());

        Map<String, Object[]> after = byId(loaded.transform(images));
        assertEquals(before.keySet(), after.keySet());
        for (String id : before.keySet()) {
            assertArrayEquals((double[]) before.get(id)[0], (double[]) after.get(id)[0], 0.0, id);
            assertEquals((double) before.get(id)[1], (double) after.get(id)[1], 0.0, id);
            assertArrayEquals((double[]) before.get(id)[2], (double[]) after.get(id)[2], 0.0, id);
        }
    }

    @Test
    void theFeaturesStageComputesTheSameVectors() {
        Dataset<Row> images = TestImages.table(spark, rows, 2);
        Map<String, double[]> table = new HashMap<>();
        for (Row r : new EncoderFeatures(graph, "embedding", new PixelNormalization(MEAN, STD), 5).compute(images)
                .collectAsList()) {
            table.put(r.getString(0), ((Vector) r.get(4)).toArray());
        }
        List<Row> out = encoder().transform(images).select("id", "features").collectAsList();
        assertEquals(rows.size(), out.size());
        for (Row r : out) {
            assertArrayEquals(table.get(r.getString(0)), ((Vector) r.get(1)).toArray(), 0.0, r.getString(0));
        }
    }

    @Test
    void savedAloneWithItsParamsAndPngRowsDecodeToTheirPixelsVectors() throws Exception {
        List<Row> mixed = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Row r = rows.get(i);
            byte[] png = ImageEncoder.png().encode(new DecodedImage(8, 8, pixels.get(r.getString(0))));
            mixed.add(r);
            mixed.add(TestImages.image(r.getString(0) + "/png", "train", r.getInt(2), 8, 8, png, "png"));
        }
        EncoderTransformer enc = encoder().setOutputCol("v").setInputCol("data");
        String dir = tmp.resolve("encoder").toString();
        enc.save(dir);
        EncoderTransformer loaded = EncoderTransformer.load(dir);
        assertEquals("v", loaded.getOutputCol());
        assertEquals(enc.uid(), loaded.uid());
        assertArrayEquals(enc.modelBytes(), loaded.modelBytes());

        Map<String, double[]> v = new HashMap<>();
        for (Row r : loaded.transform(TestImages.table(spark, mixed, 2)).select("id", "v").collectAsList()) {
            v.put(r.getString(0), ((Vector) r.get(1)).toArray());
        }
        for (int i = 0; i < 6; i++) {
            String id = rows.get(i).getString(0);
            assertArrayEquals(driverEmbedding(pixels.get(id)), v.get(id), 1e-5, id);
            assertArrayEquals(v.get(id), v.get(id + "/png"), 0.0, "PNG is lossless: " + id);
        }
    }

    @Test
    void fromSparkSqlTheRegisteredFunctionGivesTheTransformersVectors() {
        Dataset<Row> images = TestImages.table(spark, rows.subList(0, 10), 2);
        images.createOrReplaceTempView("encoder_test_images");
        EncoderTransformer enc = encoder();
        enc.register(spark, "pretext_encode");
        Map<String, double[]> sql = new HashMap<>();
        for (Row r : spark.sql("SELECT id, pretext_encode(data, height, width, channels, encoding) AS v "
                + "FROM encoder_test_images").collectAsList()) {
            sql.put(r.getString(0), ((Vector) r.get(1)).toArray());
        }
        assertEquals(10, sql.size());
        for (Row r : enc.transform(images).select("id", "features").collectAsList()) {
            assertArrayEquals(((Vector) r.get(1)).toArray(), sql.get(r.getString(0)), 1e-6, r.getString(0));
        }
    }

    @Test
    void fromAModelZipTheLayerIsTheEmbeddingAndTheInputX255() throws Exception {
        Path zip = tmp.resolve("graph.zip");
        org.deeplearning4j.util.ModelSerializer.writeModel(graph, zip.toFile(), false);
        EncoderTransformer enc = EncoderTransformer.fromModel(zip.toString(), 8, 8);
        assertEquals("embedding", enc.getLayer());
        assertArrayEquals(new double[]{0, 0, 0}, enc.getMean(), 0.0);
        assertArrayEquals(new double[]{1, 1, 1}, enc.getStd(), 0.0);
        Dataset<Row> images = TestImages.table(spark, rows.subList(0, 6), 1);
        Map<String, double[]> want = new HashMap<>();
        for (Row r : EncoderTransformer.of(graph, "embedding", PixelNormalization.unit(3)).transform(images)
                .select("id", "features").collectAsList()) {
            want.put(r.getString(0), ((Vector) r.get(1)).toArray());
        }
        for (Row r : enc.transform(images).select("id", "features").collectAsList()) {
            assertArrayEquals(want.get(r.getString(0)), ((Vector) r.get(1)).toArray(), 0.0, r.getString(0));
        }
        UserError missing = assertThrows(UserError.class,
                () -> EncoderTransformer.fromModel(tmp.resolve("nothing").toString(), 8, 8));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test
    void badInputIsAUserErrorNamingTheColumnOrRecord() {
        Dataset<Row> images = TestImages.table(spark, rows.subList(0, 2), 1);
        UserError noColumn = assertThrows(UserError.class, () -> encoder().setInputCol("pixels").transform(images));
        assertTrue(noColumn.getMessage().contains("pixels"), noColumn.getMessage());
        UserError taken = assertThrows(UserError.class, () -> encoder().setOutputCol("label").transform(images));
        assertTrue(taken.getMessage().contains("label"), taken.getMessage());
        List<Row> bad = List.of(TestImages.image("t/short", "train", 0, 8, 8, new byte[10], "raw"));
        Exception e = assertThrows(Exception.class,
                () -> encoder().transform(TestImages.table(spark, bad, 1)).collectAsList());
        assertTrue(String.valueOf(e.getMessage()).contains("t/short"), e.getMessage());
    }
}
