package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.apache.commons.math3.special.Erf;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
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

class TransformerBlockTest {

    static final String[] PARAMS = {TransformerBlock.LN1_GAIN, TransformerBlock.LN1_BIAS, TransformerBlock.W_Q,
            TransformerBlock.B_Q, TransformerBlock.W_K, TransformerBlock.B_K, TransformerBlock.W_V, TransformerBlock.B_V,
            TransformerBlock.W_O, TransformerBlock.B_O, TransformerBlock.LN2_GAIN, TransformerBlock.LN2_BIAS,
            TransformerBlock.W_1, TransformerBlock.B_1, TransformerBlock.W_2, TransformerBlock.B_2};

    // ---- the reference, in plain double precision from the definition (the class javadoc)

    /**
     * The block on tokens x [N][D][T] (NCW) with parameters p (each [rows][cols] as DL4J stores them); dropout
     * masks [N*T][D] (row n*T + t) or null for none.
     */
    static double[][][] reference(Map<String, double[][]> p, double[][][] x, int heads, double[][] dropA,
            double[][] dropM) {
        int n = x.length;
        int d = x[0].length;
        int t = x[0][0].length;
        double[][][] out = new double[n][d][t];
        for (int e = 0; e < n; e++) {
            double[][] tok = new double[t][d];
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    tok[i][c] = x[e][c][i];
                }
            }
            double[][] a = layerNorm(tok, p.get(TransformerBlock.LN1_GAIN)[0], p.get(TransformerBlock.LN1_BIAS)[0]);
            double[][] att = linear(attention(p, a, heads), p.get(TransformerBlock.W_O),
                    p.get(TransformerBlock.B_O)[0]);
            double[][] h = new double[t][d];
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    h[i][c] = tok[i][c] + (dropA == null ? 1 : dropA[e * t + i][c]) * att[i][c];
                }
            }
            double[][] u = linear(layerNorm(h, p.get(TransformerBlock.LN2_GAIN)[0], p.get(TransformerBlock.LN2_BIAS)[0]),
                    p.get(TransformerBlock.W_1), p.get(TransformerBlock.B_1)[0]);
            for (double[] row : u) {
                for (int c = 0; c < row.length; c++) {
                    row[c] = gelu(row[c]);
                }
            }
            double[][] m = linear(u, p.get(TransformerBlock.W_2), p.get(TransformerBlock.B_2)[0]);
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    out[e][c][i] = h[i][c] + (dropM == null ? 1 : dropM[e * t + i][c]) * m[i][c];
                }
            }
        }
        return out;
    }

    /** The exact GELU, 0.5 u (1 + erf(u / sqrt 2)). */
    static double gelu(double u) {
        return 0.5 * u * (1 + Erf.erf(u / Math.sqrt(2)));
    }

    static double[][] layerNorm(double[][] x, double[] gain, double[] bias) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int d = x[i].length;
            double mean = 0;
            for (double v : x[i]) {
                mean += v;
            }
            mean /= d;
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= d;
            double s = Math.sqrt(var + TransformerBlock.LN_EPS);
            y[i] = new double[d];
            for (int c = 0; c < d; c++) {
                y[i][c] = (x[i][c] - mean) / s * gain[c] + bias[c];
            }
        }
        return y;
    }

    static double[][] linear(double[][] x, double[][] w, double[] b) {
        double[][] y = new double[x.length][w[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < w[0].length; j++) {
                double s = b[j];
                for (int k = 0; k < w.length; k++) {
                    s += x[i][k] * w[k][j];
                }
                y[i][j] = s;
            }
        }
        return y;
    }

    /** Concatenated heads, before Wo. */
    static double[][] attention(Map<String, double[][]> p, double[][] a, int heads) {
        double[][] q = linear(a, p.get(TransformerBlock.W_Q), p.get(TransformerBlock.B_Q)[0]);
        double[][] k = linear(a, p.get(TransformerBlock.W_K), p.get(TransformerBlock.B_K)[0]);
        double[][] v = linear(a, p.get(TransformerBlock.W_V), p.get(TransformerBlock.B_V)[0]);
        int t = a.length;
        int d = a[0].length;
        int hd = d / heads;
        double[][] ctx = new double[t][d];
        for (int h = 0; h < heads; h++) {
            int off = h * hd;
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int c = 0; c < hd; c++) {
                        dot += q[i][off + c] * k[j][off + c];
                    }
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = 0; j < t; j++) {
                    for (int c = 0; c < hd; c++) {
                        ctx[i][off + c] += s[j] / z * v[j][off + c];
                    }
                }
            }
        }
        return ctx;
    }

    // ---- helpers

    static double[][][] randn3(Random r, int n, int d, int t) {
        double[][][] x = new double[n][d][t];
        for (double[][] m : x) {
            for (double[] row : m) {
                for (int i = 0; i < t; i++) {
                    row[i] = r.nextGaussian();
                }
            }
        }
        return x;
    }

    static INDArray array(double[][][] x, DataType dt) {
        return Nd4j.create(x).castTo(dt);
    }

    static double[][][] values(INDArray a) {
        long[] s = a.shape();
        double[][][] x = new double[(int) s[0]][(int) s[1]][(int) s[2]];
        INDArray d = a.castTo(DataType.DOUBLE);
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                for (int k = 0; k < s[2]; k++) {
                    x[i][j][k] = d.getDouble(i, j, k);
                }
            }
        }
        return x;
    }

    static Map<String, double[][]> params(Layer layer) {
        Map<String, double[][]> p = new HashMap<>();
        for (String k : PARAMS) {
            p.put(k, layer.getParam(k).castTo(DataType.DOUBLE).toDoubleMatrix());
        }
        return p;
    }

    /** Every parameter N(0, scale^2): biases and layer norms away from their 0/1 initial values. */
    static void randomiseParams(ComputationGraph g, Random r, double scale) {
        INDArray p = g.params();
        double[] v = new double[(int) p.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = scale * r.nextGaussian();
        }
        p.assign(Nd4j.create(v).castTo(p.dataType()).reshape(p.shape()));
    }

    static ComputationGraph blockOnly(InputType in, TransformerBlock block, DataType dt) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(dt).seed(7).updater(new NoOp()).graphBuilder()
                .addInputs("x").setInputTypes(in)
                .addLayer("block", block, "x").setOutputs("block").build());
        g.init();
        return g;
    }

    /** Every value finite (the message is built only on failure: these arrays are large). */
    static void assertFinite(INDArray a, String what) {
        double[] v = a.castTo(DataType.DOUBLE).dup().reshape(a.length()).toDoubleVector();
        for (int i = 0; i < v.length; i++) {
            int at = i;
            assertTrue(Double.isFinite(v[i]), () -> what + ": element " + at + " is " + v[at]);
        }
    }

    static double maxAbsDiff(double[][][] a, double[][][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                for (int k = 0; k < a[i][j].length; k++) {
                    m = Math.max(m, Math.abs(a[i][j][k] - b[i][j][k]));
                }
            }
        }
        return m;
    }

    static double maxAbs(double[][][] a) {
        double m = 0;
        for (double[][] x : a) {
            for (double[] row : x) {
                for (double v : row) {
                    m = Math.max(m, Math.abs(v));
                }
            }
        }
        return m;
    }

    // ---- (1) forward against the reference

    @Test
    void forwardMatchesTheDoubleReference() {
        Random r = new Random(11);
        int[][] shapes = {{1, 1, 4, 1, 4}, {2, 3, 4, 2, 2}, {3, 5, 8, 4, 4}, {2, 17, 16, 4, 4}, {4, 7, 12, 3, 1},
                {2, 6, 6, 6, 3}};
        for (int[] s : shapes) {
            int n = s[0];
            int t = s[1];
            int d = s[2];
            int h = s[3];
            for (double p : new double[] {0.0, 0.2}) {     // p > 0: inference is the mask-free block
                ComputationGraph g = blockOnly(InputType.recurrent(d, t), new TransformerBlock(h, s[4], p),
                        DataType.DOUBLE);
                randomiseParams(g, r, 0.5);
                double[][][] x = randn3(r, n, d, t);
                double[][][] expected = reference(params(g.getLayer("block")), x, h, null, null);
                double[][][] got = values(g.outputSingle(false, array(x, DataType.DOUBLE)));
                assertTrue(maxAbsDiff(expected, got) < 1e-9, Arrays.toString(s) + " p=" + p + ": max |diff| "
                        + maxAbsDiff(expected, got));
            }
        }
    }

    @Test
    void initialisationIsXavierUniformAndLayerNormIdentity() {
        ComputationGraph g = blockOnly(InputType.recurrent(64, 5), new TransformerBlock(4, 4, 0.1), DataType.DOUBLE);
        Layer l = g.getLayer("block");
        assertEquals(1.0, l.getParam(TransformerBlock.LN1_GAIN).minNumber().doubleValue());
        assertEquals(1.0, l.getParam(TransformerBlock.LN2_GAIN).maxNumber().doubleValue());
        for (String b : new String[] {TransformerBlock.LN1_BIAS, TransformerBlock.B_Q, TransformerBlock.B_O,
                TransformerBlock.B_1, TransformerBlock.B_2}) {
            assertEquals(0.0, l.getParam(b).amaxNumber().doubleValue(), b);
        }
        for (String w : new String[] {TransformerBlock.W_Q, TransformerBlock.W_K, TransformerBlock.W_V,
                TransformerBlock.W_O, TransformerBlock.W_1, TransformerBlock.W_2}) {
            INDArray p = l.getParam(w);
            double limit = Math.sqrt(6.0 / (p.size(0) + p.size(1)));
            double amax = p.amaxNumber().doubleValue();
            assertTrue(amax <= limit && amax > 0.9 * limit, w + ": max |w| " + amax + " vs limit " + limit);
            double std = p.stdNumber().doubleValue();
            assertEquals(limit / Math.sqrt(3), std, 0.05 * limit, w + " std");   // U(-a, a) has std a/sqrt(3)
        }
        long d = 64;
        long f = 4 * d;
        assertEquals(4 * d + 4 * (d * d + d) + (d * f + f) + (f * d + d), l.numParams(), "parameter count");
    }

    @Test
    void featureMapsAndGroupsAreTokenSequences() {
        Random r = new Random(5);
        int c = 8;
        int h = 2;
        // a feature map [N, C, H, W]: the H*W positions are the tokens
        ComputationGraph conv = blockOnly(InputType.convolutional(3, 2, c), new TransformerBlock(h, 2, 0.1),
                DataType.DOUBLE);
        randomiseParams(conv, r, 0.5);
        double[][][] tokens = randn3(r, 3, c, 6);
        INDArray map = array(tokens, DataType.DOUBLE).reshape('c', 3, c, 3, 2);
        INDArray out = conv.outputSingle(false, map);
        assertArrayEquals(new long[] {3, c, 3, 2}, out.shape());
        double[][][] expected = reference(params(conv.getLayer("block")), tokens, h, null, null);
        assertTrue(maxAbsDiff(expected, values(out.reshape('c', 3, c, 6))) < 1e-9, "feature map");

        // G = 2: examples 2b and 2b+1 form one sequence of 2T tokens (example 2b's first)
        int g = 2;
        int t = 3;
        ComputationGraph grouped = blockOnly(InputType.recurrent(c, t), new TransformerBlock(h, 2, 0, g),
                DataType.DOUBLE);
        randomiseParams(grouped, r, 0.5);
        double[][][] x = randn3(r, 4, c, t);
        double[][][] joined = new double[2][c][g * t];
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < g; k++) {
                for (int f = 0; f < c; f++) {
                    System.arraycopy(x[b * g + k][f], 0, joined[b][f], k * t, t);
                }
            }
        }
        double[][][] ref = reference(params(grouped.getLayer("block")), joined, h, null, null);
        double[][][] got = values(grouped.outputSingle(false, array(x, DataType.DOUBLE)));
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < g; k++) {
                for (int f = 0; f < c; f++) {
                    for (int i = 0; i < t; i++) {
                        assertEquals(ref[b][f][k * t + i], got[b * g + k][f][i], 1e-9, "group " + b + "," + k);
                    }
                }
            }
        }
        // and feature maps of patches grouped by image: [B*G, C, H, W]
        ComputationGraph both = blockOnly(InputType.convolutional(1, 3, c), new TransformerBlock(h, 2, 0, g),
                DataType.DOUBLE);
        both.setParams(grouped.params());
        INDArray maps = array(x, DataType.DOUBLE).reshape('c', 4, c, 1, 3);
        assertTrue(maxAbsDiff(got, values(both.outputSingle(false, maps).reshape('c', 4, c, 3))) < 1e-12);
    }

    @Test
    void tokenCountMayChangeBetweenCalls() {
        Random r = new Random(9);
        ComputationGraph g = blockOnly(InputType.recurrent(8), new TransformerBlock(2, 2, 0.1), DataType.DOUBLE);
        randomiseParams(g, r, 0.5);
        for (int t : new int[] {5, 3, 5, 1}) {
            double[][][] x = randn3(r, 2, 8, t);
            double[][][] expected = reference(params(g.getLayer("block")), x, 2, null, null);
            assertTrue(maxAbsDiff(expected, values(g.outputSingle(false, array(x, DataType.DOUBLE)))) < 1e-9,
                    "T = " + t);
        }
    }

    @Test
    void feedForwardTokensThroughAnFOrderReshape() {
        // [N, T*D] token-major (feature t*D + d) -> ReshapeVertex('f', [-1, D, T]) -> [N, D, T]
        Random r = new Random(21);
        int n = 3;
        int t = 4;
        int d = 6;
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(3).updater(new NoOp()).graphBuilder()
                .addInputs("x").setInputTypes(InputType.feedForward((long) t * d))
                .addVertex("tokens", new org.deeplearning4j.nn.conf.graph.ReshapeVertex('f', new int[] {-1, d, t},
                        null), "x")
                .addLayer("block", new TransformerBlock(3, 2, 0), "tokens")
                .addVertex("flat", new org.deeplearning4j.nn.conf.graph.ReshapeVertex('f', new int[] {-1, t * d},
                        null), "block")
                .setOutputs("flat").build());
        g.init();
        randomiseParams(g, r, 0.5);
        double[][][] x = randn3(r, n, d, t);
        double[][] flat = new double[n][t * d];
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    flat[e][i * d + c] = x[e][c][i];
                }
            }
        }
        double[][][] expected = reference(params(g.getLayer("block")), x, 3, null, null);
        INDArray out = g.outputSingle(false, Nd4j.create(flat));
        assertArrayEquals(new long[] {n, (long) t * d}, out.shape());
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    assertEquals(expected[e][c][i], out.getDouble(e, i * d + c), 1e-9);
                }
            }
        }
    }

    // ---- (2) gradients

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            Random r = new Random(8);
            // tokens [N, D, T] -> block -> per-token MSE output
            ComputationGraph seq = new ComputationGraph(new NeuralNetConfiguration.Builder()
                    .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                    .graphBuilder()
                    .addInputs("x").setInputTypes(InputType.recurrent(4, 3))
                    .addLayer("block", new TransformerBlock(2, 2, 0), "x")
                    .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                            .activation(Activation.IDENTITY).build(), "block")
                    .setOutputs("out").build());
            seq.init();
            randomiseParams(seq, r, 0.5);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(seq)
                    .inputs(new INDArray[] {array(randn3(r, 2, 4, 3), DataType.DOUBLE)})
                    .labels(new INDArray[] {array(randn3(r, 2, 3, 3), DataType.DOUBLE)})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true).maxPerParam(12));
            assertTrue(ok, "tokens: gradient check failed");

            // feature maps of patches grouped by image (G = 2) -> block -> average pool -> MSE
            ComputationGraph maps = new ComputationGraph(new NeuralNetConfiguration.Builder()
                    .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                    .graphBuilder()
                    .addInputs("x").setInputTypes(InputType.convolutional(2, 2, 4))
                    .addLayer("block", new TransformerBlock(2, 1, 0, 2), "x")
                    .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "block")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                            .activation(Activation.IDENTITY).build(), "pool")
                    .setOutputs("out").build());
            maps.init();
            randomiseParams(maps, r, 0.5);
            ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(maps)
                    .inputs(new INDArray[] {Nd4j.randn(DataType.DOUBLE, 4, 4, 2, 2)})
                    .labels(new INDArray[] {Nd4j.randn(DataType.DOUBLE, 4, 2)})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true).maxPerParam(6));
            assertTrue(ok, "grouped feature maps: gradient check failed");

            // a dense layer in front: its parameter gradients are checked through the block's input gradient
            ComputationGraph front = new ComputationGraph(new NeuralNetConfiguration.Builder()
                    .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                    .graphBuilder()
                    .addInputs("x").setInputTypes(InputType.feedForward(5))
                    .addLayer("dense", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(3 * 4)
                            .activation(Activation.TANH).build(), "x")
                    .addVertex("tokens", new org.deeplearning4j.nn.conf.graph.ReshapeVertex('f',
                            new int[] {-1, 4, 3}, null), "dense")
                    .addLayer("block", new TransformerBlock(2, 2, 0), "tokens")
                    .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                            .activation(Activation.IDENTITY).build(), "block")
                    .setOutputs("out").build());
            front.init();
            randomiseParams(front, r, 0.5);
            ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(front)
                    .inputs(new INDArray[] {Nd4j.randn(DataType.DOUBLE, 3, 5)})
                    .labels(new INDArray[] {Nd4j.randn(DataType.DOUBLE, 3, 2, 3)})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true).maxPerParam(6)
                    .excludeParams(java.util.Set.of("block_Wq", "block_Wk", "block_Wv", "block_Wo", "block_W1",
                            "block_W2", "block_ln1g", "block_ln1b", "block_ln2g", "block_ln2b", "block_bq",
                            "block_bk", "block_bv", "block_bo", "block_b1", "block_b2")));
            assertTrue(ok, "dense in front (the block's input gradient): gradient check failed");
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    /**
     * Input and parameter gradients of L = sum(eps * block(x)) in training mode with dropout: the backward pass
     * must use the masks of the forward pass (checked against finite differences of the reference with those
     * masks).
     */
    @Test
    void trainingGradientsUseTheForwardMasks() {
        Random r = new Random(13);
        int n = 2;
        int t = 4;
        int d = 6;
        int h = 3;
        ComputationGraph g = blockOnly(InputType.recurrent(d, t), new TransformerBlock(h, 2, 0.3), DataType.DOUBLE);
        randomiseParams(g, r, 0.5);
        TransformerBlock.Impl layer = (TransformerBlock.Impl) g.getLayer("block");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        double[][][] x = randn3(r, n, d, t);
        layer.setInput(array(x, DataType.DOUBLE), mgr);
        INDArray out = layer.activate(true, mgr);
        INDArray[] masks = layer.dropoutMasks();
        assertNotNull(masks);
        double[][] mA = masks[0].toDoubleMatrix();
        double[][] mM = masks[1].toDoubleMatrix();
        Map<String, double[][]> p = params(layer);
        assertTrue(maxAbsDiff(reference(p, x, h, mA, mM), values(out)) < 1e-9, "training output with its masks");

        double[][][] eps = randn3(r, n, d, t);
        var grads = layer.backpropGradient(array(eps, DataType.DOUBLE), mgr);
        INDArray dx = grads.getSecond();
        double step = 1e-6;
        for (int e = 0; e < n; e++) {
            for (int c = 0; c < d; c++) {
                for (int i = 0; i < t; i++) {
                    double keep = x[e][c][i];
                    x[e][c][i] = keep + step;
                    double up = dot(eps, reference(p, x, h, mA, mM));
                    x[e][c][i] = keep - step;
                    double down = dot(eps, reference(p, x, h, mA, mM));
                    x[e][c][i] = keep;
                    assertEquals((up - down) / (2 * step), dx.getDouble(e, c, i), 1e-6, "dx " + e + "," + c + "," + i);
                }
            }
        }
        for (String name : new String[] {TransformerBlock.W_Q, TransformerBlock.B_V, TransformerBlock.LN2_GAIN,
                TransformerBlock.W_1, TransformerBlock.B_2}) {
            INDArray grad = grads.getFirst().getGradientFor(name);
            double[][] w = p.get(name);
            for (int[] ij : new int[][] {{0, 0}, {0, w[0].length - 1}, {w.length - 1, 1}}) {
                double keep = w[ij[0]][ij[1]];
                w[ij[0]][ij[1]] = keep + step;
                double up = dot(eps, reference(p, x, h, mA, mM));
                w[ij[0]][ij[1]] = keep - step;
                double down = dot(eps, reference(p, x, h, mA, mM));
                w[ij[0]][ij[1]] = keep;
                assertEquals((up - down) / (2 * step), grad.getDouble(ij[0], ij[1]), 1e-6,
                        name + Arrays.toString(ij));
            }
        }
    }

    static double dot(double[][][] a, double[][][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                for (int k = 0; k < a[i][j].length; k++) {
                    s += a[i][j][k] * b[i][j][k];
                }
            }
        }
        return s;
    }

    /** x * w (w [1, D] broadcast over tokens), to compare DL4J's SameDiff layer runtime with ours. */
    public static class TimesW extends org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer {
        private boolean exact;

        public TimesW() {
        }

        TimesW(boolean exact) {
            this.exact = exact;
        }

        public boolean isExact() {
            return exact;
        }

        public void setExact(boolean exact) {
            this.exact = exact;
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return inputType;
        }

        @Override
        public void defineParameters(org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams params) {
            params.addWeightParam("w", 1, 3);
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
            params.get("w").assign(Nd4j.create(new double[][] {{0.3, -0.7, 1.1}}));
        }

        @Override
        public org.nd4j.autodiff.samediff.SDVariable defineLayer(org.nd4j.autodiff.samediff.SameDiff sd,
                org.nd4j.autodiff.samediff.SDVariable x, Map<String, org.nd4j.autodiff.samediff.SDVariable> p,
                org.nd4j.autodiff.samediff.SDVariable mask) {
            return x.mul(sd.reshape(p.get("w"), 1, 3, 1));
        }

        @Override
        public Layer instantiate(NeuralNetConfiguration conf,
                java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners, int index,
                INDArray view, boolean init, DataType dt) {
            return exact ? ExactSameDiffLayer.wire(new ExactSameDiffLayer(conf, dt), this, conf, index, view, init)
                    : super.instantiate(conf, listeners, index, view, init, dt);
        }
    }

    /**
     * Why {@link ExactSameDiffLayer} exists: DL4J M2.1's own runtime for a SameDiff layer returns twice the
     * gradient of out = x * w (input and parameter). If this fails after a DL4J upgrade, the upstream bug is
     * gone and the workaround can go.
     */
    @Test
    void dl4jSameDiffLayerDoublesItsGradients() {
        INDArray x = Nd4j.create(new double[][][] {{{0.5, -1.0}, {2.0, 0.25}, {-0.75, 1.5}}});    // [1, 3, 2]
        INDArray eps = Nd4j.create(new double[][][] {{{1.0, 2.0}, {-1.0, 0.5}, {3.0, -2.0}}});
        double[] w = {0.3, -0.7, 1.1};
        for (boolean exact : new boolean[] {false, true}) {
            ComputationGraph g = blockOnlyLayer(InputType.recurrent(3, 2), new TimesW(exact));
            g.initGradientsView();
            Layer layer = g.getLayer("block");
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            layer.setInput(x.dup(), mgr);
            layer.activate(true, mgr);
            var grads = layer.backpropGradient(eps.dup(), mgr);
            double factor = exact ? 1 : 2;
            for (int c = 0; c < 3; c++) {
                double dw = 0;
                for (int t = 0; t < 2; t++) {
                    assertEquals(factor * w[c] * eps.getDouble(0, c, t), grads.getSecond().getDouble(0, c, t), 1e-12,
                            (exact ? "ours" : "DL4J") + " dx");
                    dw += eps.getDouble(0, c, t) * x.getDouble(0, c, t);
                }
                assertEquals(factor * dw, grads.getFirst().getGradientFor("w").getDouble(0, c), 1e-12,
                        (exact ? "ours" : "DL4J") + " dw");
            }
        }
    }

    static ComputationGraph blockOnlyLayer(InputType in, org.deeplearning4j.nn.conf.layers.Layer layer) {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(7).updater(new NoOp()).graphBuilder()
                .addInputs("x").setInputTypes(in)
                .addLayer("block", layer, "x").setOutputs("block").build());
        g.init();
        return g;
    }

    // ---- (3) permutation equivariance

    @Test
    void permutingTokensPermutesTheOutput() {
        Random r = new Random(17);
        int n = 3;
        int t = 7;
        int d = 8;
        ComputationGraph g = blockOnly(InputType.recurrent(d, t), new TransformerBlock(4, 4, 0.1), DataType.DOUBLE);
        randomiseParams(g, r, 0.5);
        double[][][] x = randn3(r, n, d, t);
        int[] perm = {3, 0, 6, 1, 5, 2, 4};
        double[][][] xp = new double[n][d][t];
        for (int e = 0; e < n; e++) {
            for (int c = 0; c < d; c++) {
                for (int i = 0; i < t; i++) {
                    xp[e][c][i] = x[e][c][perm[i]];
                }
            }
        }
        double[][][] y = values(g.outputSingle(false, array(x, DataType.DOUBLE)));
        double[][][] yp = values(g.outputSingle(false, array(xp, DataType.DOUBLE)));
        for (int e = 0; e < n; e++) {
            for (int c = 0; c < d; c++) {
                for (int i = 0; i < t; i++) {
                    assertEquals(y[e][c][perm[i]], yp[e][c][i], 1e-12);
                }
            }
        }
        // and examples do not see each other (G = 1): changing example 0 leaves example 1 alone
        double[][][] x2 = values(array(x, DataType.DOUBLE));
        x2[0][2][3] += 1.0;
        double[][][] y2 = values(g.outputSingle(false, array(x2, DataType.DOUBLE)));
        assertEquals(0.0, maxAbsDiff(new double[][][] {y[1], y[2]}, new double[][][] {y2[1], y2[2]}), 1e-12);
        assertTrue(maxAbsDiff(new double[][][] {y[0]}, new double[][][] {y2[0]}) > 1e-3);
    }

    // ---- (4) serialisation

    @Test
    void jsonAndModelSerializerRoundTrip(@TempDir Path dir) throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(1).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("x").setInputTypes(InputType.recurrent(8, 5))
                .addLayer("block1", new TransformerBlock(2, 3, 0.1), "x")
                .addLayer("block2", new TransformerBlock(4, 2, 0, 1), "block1")
                .addLayer("out", new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "block2")
                .setOutputs("out").build();
        String json = conf.toJson();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
        for (String v : conf.getVertices().keySet()) {
            assertEquals(conf.getVertices().get(v), back.getVertices().get(v), v);
        }
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
        TransformerBlock b1 = (TransformerBlock) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices()
                .get("block1")).getLayerConf().getLayer();
        assertEquals(8, b1.getWidth());
        assertEquals(2, b1.getHeads());
        assertEquals(3, b1.getMlpRatio());
        assertEquals(0.1, b1.getDropout());

        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(3);
        INDArray x = array(randn3(r, 4, 8, 5), DataType.FLOAT);
        DataSet ds = new DataSet(x, array(randn3(r, 4, 8, 5), DataType.FLOAT));
        g.fit(ds);                                   // updater state too
        INDArray before = g.outputSingle(false, x);
        File f = dir.resolve("g.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(before, restored.outputSingle(false, x));
        assertEquals(g.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }

    // ---- (5) bad settings and inputs

    @Test
    void rejectsBadSettingsAndInputs() {
        IllegalArgumentException div = assertThrows(IllegalArgumentException.class,
                () -> blockOnly(InputType.recurrent(10, 3), new TransformerBlock(4, 4, 0.1), DataType.FLOAT));
        assertTrue(div.getMessage().contains("heads") && div.getMessage().contains("10"), div.getMessage());
        TransformerBlock set = new TransformerBlock(4, 4, 0.1);
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> set.setWidth(6));
        assertTrue(w.getMessage().contains("not divisible by heads"), w.getMessage());
        assertMessage(() -> new TransformerBlock(0, 4, 0.1), "heads");
        assertMessage(() -> new TransformerBlock(-2, 4, 0.1), "heads");
        assertMessage(() -> new TransformerBlock(2, 0, 0.1), "mlpRatio");
        assertMessage(() -> new TransformerBlock(2, 4, -0.1), "dropout");
        assertMessage(() -> new TransformerBlock(2, 4, 1.0), "dropout");
        assertMessage(() -> new TransformerBlock(2, 4, Double.NaN), "dropout");
        assertMessage(() -> new TransformerBlock(2, 4, 0.1, 0), "groupSize");
        assertMessage(() -> new TransformerBlock(2, 4, 0.1).setWidth(0), "width");
        assertMessage(() -> blockOnly(InputType.feedForward(12), new TransformerBlock(2, 4, 0.1), DataType.FLOAT),
                "ReshapeVertex");

        ComputationGraph g = blockOnly(InputType.recurrent(8, 3), new TransformerBlock(2, 2, 0.1, 2),
                DataType.FLOAT);
        assertMessage(() -> g.outputSingle(false, Nd4j.rand(DataType.FLOAT, 2, 6, 3)), "D = 8");
        assertMessage(() -> g.outputSingle(false, Nd4j.rand(DataType.FLOAT, 3, 8, 3)), "multiple of G");
        assertArrayEquals(new long[] {4, 8, 3}, g.outputSingle(false, Nd4j.rand(DataType.FLOAT, 4, 8, 3)).shape());
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }

    // ---- (6) dropout

    @Test
    void dropoutOnlyInTraining() {
        Random r = new Random(23);
        int n = 8;
        int t = 17;
        int d = 32;
        double p = 0.1;
        ComputationGraph g = blockOnly(InputType.recurrent(d, t), new TransformerBlock(4, 4, p), DataType.FLOAT);
        INDArray x = array(randn3(r, n, d, t), DataType.FLOAT);
        INDArray a = g.outputSingle(false, x);
        INDArray b = g.outputSingle(false, x);
        assertEquals(a, b, "inference is deterministic");
        INDArray train1 = g.feedForward(new INDArray[] {x}, true).get("block");
        INDArray train2 = g.feedForward(new INDArray[] {x}, true).get("block");
        assertNotEquals(a, train1, "training mode drops");
        assertNotEquals(train1, train2, "fresh masks per pass");
        assertEquals(a, g.outputSingle(false, x), "inference after training passes");

        TransformerBlock.Impl layer = (TransformerBlock.Impl) g.getLayer("block");
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        layer.activate(true, mgr);
        for (INDArray m : layer.dropoutMasks()) {
            assertArrayEquals(new long[] {(long) n * t, d}, m.shape());
            double zeros = m.eq(0.0).castTo(DataType.FLOAT).meanNumber().doubleValue();
            double kept = m.eq((float) (1 / (1 - p))).castTo(DataType.FLOAT).meanNumber().doubleValue();
            assertEquals(p, zeros, 0.01, "dropped fraction");
            assertEquals(1.0, zeros + kept, 1e-6, "values 0 or 1/(1-p)");
        }
        layer.activate(false, mgr);
        assertEquals(null, layer.dropoutMasks(), "no masks in inference");

        // p = 0: training and inference agree
        ComputationGraph none = blockOnly(InputType.recurrent(d, t), new TransformerBlock(4, 4, 0), DataType.FLOAT);
        assertEquals(none.outputSingle(false, x), none.feedForward(new INDArray[] {x}, true).get("block"));

        // training with workspaces (fit) runs and moves the loss down
        ComputationGraph fit = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(5).updater(new Adam(3e-3)).graphBuilder()
                .addInputs("x").setInputTypes(InputType.recurrent(d, t))
                .addLayer("block", new TransformerBlock(4, 2, p), "x")
                .addLayer("out", new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "block")
                .setOutputs("out").build());
        fit.init();
        DataSet ds = new DataSet(x, array(randn3(r, n, d, t), DataType.FLOAT));
        double first = fit.score(ds, false);
        for (int i = 0; i < 15; i++) {
            fit.fit(ds);
        }
        double last = fit.score(ds, false);
        assertTrue(last < 0.95 * first, "loss " + first + " -> " + last);
        assertFinite(fit.params(), "params after fit");
    }

    // ---- (7) float at a realistic size, and a timing

    @Test
    void floatMatchesDoubleAtARealisticSize() {
        Random r = new Random(29);
        int n = 32;
        int t = 17;
        int d = 128;
        TransformerBlock block = new TransformerBlock(4, 4, 0.1);
        ComputationGraph f = blockOnly(InputType.recurrent(d, t), block, DataType.FLOAT);
        ComputationGraph dbl = blockOnly(InputType.recurrent(d, t), new TransformerBlock(4, 4, 0.1), DataType.DOUBLE);
        randomiseParams(f, r, 0.05);
        dbl.setParams(f.params().castTo(DataType.DOUBLE));
        double[][][] x = randn3(r, n, d, t);
        INDArray of = f.outputSingle(false, array(x, DataType.FLOAT));
        assertFinite(of, "float output");
        double[][][] od = values(dbl.outputSingle(false, array(x, DataType.DOUBLE)));
        double rel = maxAbsDiff(values(of), od) / maxAbs(od);
        System.out.printf("TransformerBlock N=%d T=%d D=%d H=4: float vs double max rel diff %.2e%n", n, t, d, rel);
        assertTrue(rel < 1e-4, "float vs double: " + rel);
        // the float forward also matches the reference
        assertTrue(maxAbsDiff(reference(params(dbl.getLayer("block")), x, 4, null, null), od) < 1e-9);
    }

    @Test
    void timeForwardBackwardAtDv2Size() {
        int n = 256;
        int t = 17;
        int d = 256;
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).seed(5).updater(new NoOp()).graphBuilder()
                .addInputs("x").setInputTypes(InputType.recurrent(d, t))
                .addLayer("block", new TransformerBlock(8, 4, 0.1), "x")
                .addLayer("out", new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "block")
                .setOutputs("out").build());
        g.init();
        INDArray x = Nd4j.randn(DataType.FLOAT, n, d, t);
        g.setInputs(x);
        g.setLabels(Nd4j.randn(DataType.FLOAT, n, d, t));
        g.computeGradientAndScore();                 // warm-up (graph building)
        int reps = 3;
        long start = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            g.computeGradientAndScore();
        }
        double sec = (System.nanoTime() - start) / 1e9 / reps;
        long fStart = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            g.outputSingle(false, x);
        }
        double fwd = (System.nanoTime() - fStart) / 1e9 / reps;
        System.out.printf("TransformerBlock N=%d T=%d D=%d H=8 float on %s: forward+backward %.3f s (%.0f tokens/s),"
                + " inference forward %.3f s%n", n, t, d, Nd4j.getBackend().getClass().getSimpleName(), sec,
                n * t / sec, fwd);
        assertTrue(Double.isFinite(g.score()));
    }
}
