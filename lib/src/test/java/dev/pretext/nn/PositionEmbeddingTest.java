package dev.pretext.nn;

import static dev.pretext.nn.TransformerBlockTest.array;
import static dev.pretext.nn.TransformerBlockTest.assertMessage;
import static dev.pretext.nn.TransformerBlockTest.maxAbsDiff;
import static dev.pretext.nn.TransformerBlockTest.randn3;
import static dev.pretext.nn.TransformerBlockTest.randomiseParams;
import static dev.pretext.nn.TransformerBlockTest.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Random;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.graph.SubsetVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class PositionEmbeddingTest {

    /** The definition: [IMG] prepended (if any), then P added; x [N][D][T]. */
    static double[][][] reference(double[][][] x, double[][] pos, double[] img) {
        int n = x.length;
        int d = x[0].length;
        int t = x[0][0].length;
        int off = img == null ? 0 : 1;
        double[][][] out = new double[n][d][t + off];
        for (int e = 0; e < n; e++) {
            for (int c = 0; c < d; c++) {
                if (img != null) {
                    out[e][c][0] = img[c] + pos[c][0];
                }
                for (int i = 0; i < t; i++) {
                    out[e][c][i + off] = x[e][c][i] + pos[c][i + off];
                }
            }
        }
        return out;
    }

    static double[][] pos(Layer l) {
        return values(l.getParam(PositionEmbedding.POSITIONS))[0];
    }

    static double[] img(Layer l) {
        double[][] m = values(l.getParam(PositionEmbedding.IMAGE_TOKEN))[0];
        double[] v = new double[m.length];
        for (int c = 0; c < m.length; c++) {
            v[c] = m[c][0];
        }
        return v;
    }

    /** [N][D][T] to [N][T*D] token-major (feature t*D + d). */
    static double[][] tokenMajor(double[][][] x) {
        int d = x[0].length;
        int t = x[0][0].length;
        double[][] f = new double[x.length][t * d];
        for (int e = 0; e < x.length; e++) {
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    f[e][i * d + c] = x[e][c][i];
                }
            }
        }
        return f;
    }

    static ComputationGraph embeddingOnly(InputType in, PositionEmbedding pe) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(4).updater(new NoOp()).graphBuilder()
                .addInputs("x").setInputTypes(in)
                .addLayer("pe", pe, "x").setOutputs("pe").build());
        g.init();
        return g;
    }

    @Test
    void forwardMatchesTheDefinition() {
        Random r = new Random(1);
        int n = 3;
        int t = 5;
        int d = 4;
        for (boolean token : new boolean[] {false, true}) {
            double[][][] x = randn3(r, n, d, t);
            ComputationGraph seq = embeddingOnly(InputType.recurrent(d, t), new PositionEmbedding(t, token));
            Layer l = seq.getLayer("pe");
            double[][][] expected = reference(x, pos(l), token ? img(l) : null);
            INDArray out = seq.outputSingle(false, array(x, DataType.DOUBLE));
            assertArrayEquals(new long[] {n, d, t + (token ? 1 : 0)}, out.shape());
            assertEquals(0.0, maxAbsDiff(expected, values(out)), 1e-15, "NCW input, token " + token);

            ComputationGraph flat = embeddingOnly(InputType.feedForward((long) t * d), new PositionEmbedding(t, token));
            flat.setParams(seq.params());
            assertEquals(0.0, maxAbsDiff(expected, values(flat.outputSingle(false, Nd4j.create(tokenMajor(x))))),
                    1e-15, "token-major feed-forward input, token " + token);
        }
        // the input type after it, for the blocks
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("x").setInputTypes(InputType.feedForward(16 * 8))
                .addLayer("pe", new PositionEmbedding(16, true), "x").setOutputs("pe").build();
        assertEquals(InputType.recurrent(8, 17, RNNFormat.NCW),
                conf.getLayerActivationTypes(InputType.feedForward(16 * 8)).get("pe"));
    }

    @Test
    void initialisationIsSmallNormal() {
        ComputationGraph g = embeddingOnly(InputType.recurrent(64, 40), new PositionEmbedding(40, true));
        Layer l = g.getLayer("pe");
        INDArray p = l.getParam(PositionEmbedding.POSITIONS);
        assertArrayEquals(new long[] {1, 64, 41}, p.shape());
        assertArrayEquals(new long[] {1, 64, 1}, l.getParam(PositionEmbedding.IMAGE_TOKEN).shape());
        assertEquals(0.0, p.meanNumber().doubleValue(), 0.003);
        assertEquals(PositionEmbedding.INIT_STD, p.stdNumber().doubleValue(), 0.002);
        assertEquals(64 * 41 + 64, l.numParams());
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            Random r = new Random(2);
            for (boolean flatInput : new boolean[] {false, true}) {
                int t = 3;
                int d = 2;
                ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                        .dataType(DataType.DOUBLE).seed(3).updater(new NoOp()).graphBuilder()
                        .addInputs("x")
                        .setInputTypes(flatInput ? InputType.feedForward(t * d) : InputType.recurrent(d, t))
                        .addLayer("pe", new PositionEmbedding(t, true), "x")
                        .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                                .activation(Activation.TANH).build(), "pe")
                        .setOutputs("out").build());
                g.init();
                randomiseParams(g, r, 0.5);
                INDArray x = flatInput ? Nd4j.create(tokenMajor(randn3(r, 2, d, t))) : array(randn3(r, 2, d, t),
                        DataType.DOUBLE);
                boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                        .inputs(new INDArray[] {x})
                        .labels(new INDArray[] {array(randn3(r, 2, 2, t + 1), DataType.DOUBLE)})
                        .epsilon(1e-6).maxRelError(1e-6).minAbsoluteError(1e-10));
                assertTrue(ok, (flatInput ? "feed-forward" : "NCW") + " input: gradient check failed");
            }
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void inputGradientIsTheOutputGradientOfTheInputTokens() {
        Random r = new Random(5);
        ComputationGraph g = embeddingOnly(InputType.recurrent(3, 4), new PositionEmbedding(4, true));
        g.initGradientsView();
        Layer l = g.getLayer("pe");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        l.setInput(array(randn3(r, 2, 3, 4), DataType.DOUBLE), mgr);
        l.activate(true, mgr);
        double[][][] eps = randn3(r, 2, 3, 5);
        var grads = l.backpropGradient(array(eps, DataType.DOUBLE), mgr);
        double[][][] dx = values(grads.getSecond());
        double[][][] dPos = values(grads.getFirst().getGradientFor(PositionEmbedding.POSITIONS));
        double[][][] dImg = values(grads.getFirst().getGradientFor(PositionEmbedding.IMAGE_TOKEN));
        for (int c = 0; c < 3; c++) {
            assertEquals(eps[0][c][0] + eps[1][c][0], dImg[0][c][0], 1e-12);
            for (int i = 0; i < 5; i++) {
                assertEquals(eps[0][c][i] + eps[1][c][i], dPos[0][c][i], 1e-12);
            }
            for (int e = 0; e < 2; e++) {
                for (int i = 0; i < 4; i++) {
                    assertEquals(eps[e][c][i + 1], dx[e][c][i], 1e-12);
                }
            }
        }
    }

    /**
     * The Selfie/DV2 wiring: token-major patch codes [N, T*D] -> PositionEmbedding with [IMG] -> blocks ->
     * 'f'-order reshape to token-major [N, T'*D] -> SubsetVertex of token 0 = the [IMG] output [N, D].
     */
    @Test
    void selfieWiringReadsTheImageToken() {
        Random r = new Random(7);
        int n = 3;
        int t = 4;
        int d = 8;
        int heads = 2;
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(8).updater(new NoOp()).graphBuilder()
                .addInputs("patches").setInputTypes(InputType.feedForward((long) t * d))
                .addLayer("pe", new PositionEmbedding(t, true), "patches")
                .addLayer("h1", new TransformerBlock(heads, 2, 0.1), "pe")
                .addLayer("h2", new TransformerBlock(heads, 2, 0.1), "h1")
                .addVertex("tokens", new ReshapeVertex('f', new int[] {-1, (t + 1) * d}, null), "h2")
                .addVertex("img", new SubsetVertex(0, d - 1), "tokens")
                .setOutputs("img").build());
        g.init();
        randomiseParams(g, r, 0.3);
        double[][][] x = randn3(r, n, d, t);
        double[][][] h = reference(x, pos(g.getLayer("pe")), img(g.getLayer("pe")));
        h = TransformerBlockTest.reference(TransformerBlockTest.params(g.getLayer("h1")), h, heads, null, null);
        h = TransformerBlockTest.reference(TransformerBlockTest.params(g.getLayer("h2")), h, heads, null, null);
        INDArray out = g.outputSingle(false, Nd4j.create(tokenMajor(x)));
        assertArrayEquals(new long[] {n, d}, out.shape());
        for (int e = 0; e < n; e++) {
            for (int c = 0; c < d; c++) {
                assertEquals(h[e][c][0], out.getDouble(e, c), 1e-9);
            }
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("x").setInputTypes(InputType.feedForward(5 * 4))
                .addLayer("pe", new PositionEmbedding(5, true), "x")
                .addLayer("block", new TransformerBlock(2, 2, 0.1), "pe")
                .addVertex("tokens", new ReshapeVertex('f', new int[] {-1, 6 * 4}, null), "block")
                .addVertex("img", new SubsetVertex(0, 3), "tokens")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "img")
                .setOutputs("out").build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        INDArray x = Nd4j.randn(DataType.FLOAT, 6, 20);
        g.fit(new DataSet(x, Nd4j.randn(DataType.FLOAT, 6, 3)));
        INDArray before = g.outputSingle(false, x);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(before, restored.outputSingle(false, x));
        assertEquals(g.params(), restored.params());
    }

    @Test
    void rejectsBadSettingsAndInputs() {
        assertMessage(() -> new PositionEmbedding(0, true), "length");
        assertMessage(() -> new PositionEmbedding(4, false).setWidth(0), "width");
        assertMessage(() -> embeddingOnly(InputType.recurrent(3, 5), new PositionEmbedding(4, true)), "5 tokens");
        assertMessage(() -> embeddingOnly(InputType.feedForward(10), new PositionEmbedding(4, true)), "multiple");
        assertMessage(() -> embeddingOnly(InputType.recurrent(3, 4, RNNFormat.NWC), new PositionEmbedding(4, true)),
                "NCW");
        assertMessage(() -> embeddingOnly(InputType.convolutional(2, 2, 3), new PositionEmbedding(4, true)),
                "expects tokens");
        ComputationGraph g = embeddingOnly(InputType.recurrent(3), new PositionEmbedding(4, false));
        assertMessage(() -> g.outputSingle(false, Nd4j.rand(DataType.DOUBLE, 2, 3, 5)), "[N, 3, 4]");
    }
}
