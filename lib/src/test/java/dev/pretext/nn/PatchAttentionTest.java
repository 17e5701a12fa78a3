package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class PatchAttentionTest {
    static final int C = 4;
    static final int T = 3;
    static final int H = 2;

    static ComputationGraph graph(DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(dt).seed(5)
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(2, 3, C + 1, CNN2DFormat.NCHW))
                .addLayer("att", new PatchAttention(T, H), "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "att")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Random r = new Random(3);
        for (Map.Entry<String, INDArray> e : g.getLayer("att").paramTable().entrySet()) {
            double[] v = new double[(int) e.getValue().length()];
            for (int i = 0; i < v.length; i++) {
                v[i] = 0.6 * r.nextGaussian();
            }
            e.getValue().assign(Nd4j.create(v, e.getValue().shape()).castTo(dt));
        }
        return g;
    }

    /** [N, C + 1, h, w]: random features, the keep flag as the last channel. */
    static INDArray input(Random r, double[] keep, DataType dt) {
        int n = keep.length;
        double[][][][] x = new double[n][C + 1][2][3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c <= C; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int z = 0; z < 3; z++) {
                        x[i][c][y][z] = c == C ? keep[i] : r.nextGaussian();
                    }
                }
            }
        }
        return Nd4j.create(x).castTo(dt);
    }

    /** The layer's definition in plain double precision (the class javadoc). */
    static double[][][][] reference(INDArray in, Map<String, INDArray> p) {
        int n = (int) in.size(0);
        double[][][][] x = new double[n][C][2][3];
        double[] keep = new double[n];
        double[][] t = new double[n][C];
        for (int i = 0; i < n; i++) {
            keep[i] = in.getDouble(i, C, 0, 0);
            for (int c = 0; c < C; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int z = 0; z < 3; z++) {
                        x[i][c][y][z] = in.getDouble(i, c, y, z);
                        t[i][c] += x[i][c][y][z] / 6;
                    }
                }
            }
        }
        double[][] gain = p.get("lng").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] bias = p.get("lnb").castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] a = new double[n][C];
        for (int i = 0; i < n; i++) {
            double mean = 0;
            for (double v : t[i]) {
                mean += v / C;
            }
            double var = 0;
            for (double v : t[i]) {
                var += (v - mean) * (v - mean) / C;
            }
            for (int c = 0; c < C; c++) {
                a[i][c] = (t[i][c] - mean) / Math.sqrt(var + TransformerBlock.LN_EPS) * gain[0][c] + bias[0][c];
            }
        }
        double[][] q = affine(a, p, "Wq", "bq");
        double[][] k = affine(a, p, "Wk", "bk");
        double[][] v = affine(a, p, "Wv", "bv");
        int hd = C / H;
        double[][] ctx = new double[n][C];
        for (int i = 0; i < n; i++) {
            int g0 = i / T * T;
            for (int h = 0; h < H; h++) {
                double[] logit = new double[T];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < T; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) {
                        s += q[i][h * hd + d] * k[g0 + j][h * hd + d];
                    }
                    logit[j] = s / Math.sqrt(hd) + (keep[g0 + j] == 0 ? PatchAttention.MASKED_LOGIT : 0);
                    max = Math.max(max, logit[j]);
                }
                double z = 0;
                for (int j = 0; j < T; j++) {
                    logit[j] = Math.exp(logit[j] - max);
                    z += logit[j];
                }
                for (int j = 0; j < T; j++) {
                    for (int d = 0; d < hd; d++) {
                        ctx[i][h * hd + d] += logit[j] / z * v[g0 + j][h * hd + d];
                    }
                }
            }
        }
        double[][] o = affine(ctx, p, "Wo", "bo");
        double[][][][] out = new double[n][C][2][3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < C; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int z = 0; z < 3; z++) {
                        out[i][c][y][z] = x[i][c][y][z] + keep[i] * o[i][c];
                    }
                }
            }
        }
        return out;
    }

    private static double[][] affine(double[][] a, Map<String, INDArray> p, String w, String b) {
        double[][] wm = p.get(w).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] bm = p.get(b).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] out = new double[a.length][C];
        for (int i = 0; i < a.length; i++) {
            for (int c = 0; c < C; c++) {
                double s = bm[0][c];
                for (int e = 0; e < C; e++) {
                    s += a[i][e] * wm[e][c];
                }
                out[i][c] = s;
            }
        }
        return out;
    }

    @Test
    void forwardEqualsTheDoubleReference() {
        ComputationGraph g = graph(DataType.DOUBLE);
        INDArray in = input(new Random(1), new double[] {1, 0, 1, 1, 1, 0}, DataType.DOUBLE);
        INDArray got = g.feedForward(in, false).get("att");
        double[][][][] want = reference(in, g.getLayer("att").paramTable());
        assertTrue(Nd4j.create(want).equalsWithEps(got, 1e-10), got.toString());
    }

    @Test
    void visibleRowsNeverSeeMaskedRowsAndMaskedRowsPassThrough() {
        ComputationGraph g = graph(DataType.DOUBLE);
        double[] keep = {1, 0, 1, 0, 1, 1};
        INDArray in = input(new Random(2), keep, DataType.DOUBLE);
        INDArray out = g.feedForward(in, false).get("att").dup();
        INDArray changed = in.dup();
        changed.get(NDArrayIndex.point(1), NDArrayIndex.interval(0, C)).assign(Nd4j.rand(DataType.DOUBLE, C, 2, 3));
        changed.get(NDArrayIndex.point(3), NDArrayIndex.interval(0, C)).muli(-7);
        INDArray out2 = g.feedForward(changed, false).get("att");
        for (int i : new int[] {0, 2, 4, 5}) {
            assertTrue(out.get(NDArrayIndex.point(i)).equalsWithEps(out2.get(NDArrayIndex.point(i)), 1e-12),
                    "visible row " + i + " changed when a masked row did");
        }
        for (int i : new int[] {1, 3}) {
            assertTrue(out2.get(NDArrayIndex.point(i)).equalsWithEps(
                    changed.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, C)), 1e-12), "masked row " + i);
        }
        // and a visible row does see the other visible rows of its image, not those of another image
        INDArray other = in.dup();
        other.get(NDArrayIndex.point(2), NDArrayIndex.interval(0, C)).muli(3);
        INDArray out3 = g.feedForward(other, false).get("att");
        assertTrue(!out.get(NDArrayIndex.point(0)).equalsWithEps(out3.get(NDArrayIndex.point(0)), 1e-6));
        assertTrue(out.get(NDArrayIndex.point(4)).equalsWithEps(out3.get(NDArrayIndex.point(4)), 1e-12));
    }

    @Test
    void gradientCheckInDouble() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            ComputationGraph g = graph(DataType.DOUBLE);
            INDArray in = input(new Random(4), new double[] {1, 1, 0, 0, 1, 1}, DataType.DOUBLE);
            INDArray y = Nd4j.rand(DataType.DOUBLE, 6, 2);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {in}).labels(new INDArray[] {y})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void jsonRoundTripAndBadInput() {
        ComputationGraph g = graph(DataType.FLOAT);
        ComputationGraph back = new ComputationGraph(ComputationGraphConfiguration.fromJson(
                g.getConfiguration().toJson()));
        back.init(g.params().dup(), false);
        INDArray in = input(new Random(6), new double[] {1, 0, 1}, DataType.FLOAT);
        assertEquals(g.outputSingle(in), back.outputSingle(in));
        assertThrows(IllegalArgumentException.class, () -> g.outputSingle(input(new Random(1), new double[] {1, 1},
                DataType.FLOAT)));
        assertThrows(IllegalArgumentException.class, () -> new PatchAttention(4, 3).setChannels(8));
    }
}
