package dev.pretext.nn;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link FusedBatchNorm}'s implementation: batch norm over (N, H, W) of an NCHW input, then ReLU
 * when configured, forward and backward in a few passes over the activations.
 *
 * <p>The trick: an NCHW array in C order is a matrix of N*C rows of H*W contiguous values, each row
 * belonging to one channel. Every reduction is then along contiguous rows (fast in ND4J; DL4J's own
 * layer reduces over dimensions 0, 2, 3, which is strided) and every per-channel scale or shift is a
 * per-row column vector. Per-channel statistics combine the rows' own mean and variance exactly
 * (the parallel-variance formula), so the variance is as stable as a two-pass one.
 *
 * <p>Training forward, per channel c over its M = N*H*W values: mean, biased variance var (as
 * DL4J's layer uses), inv = 1/sqrt(var + eps), y = gamma*inv*(x - mean) + beta, out = max(y, 0)
 * when relu. Backward, with g = dOut masked by out > 0 when relu: dbeta = sum g,
 * dgamma = inv * (sum g*x - mean * sum g), dx = A*g + B*x + C with A = gamma*inv,
 * B = -A*inv*dgamma/M, C = -A*dbeta/M - B*mean. The running mean and variance move as in DL4J
 * (their "gradient" is (running - batch) * (1 - decay), applied by their NoOp updater).
 * Inference uses the running statistics. Other inputs (rank 2, NHWC) use DL4J's implementation.
 */
public class FusedBatchNormLayer extends BatchNormalization {
    private static final long serialVersionUID = 1L;

    /** The last training forward: its input, output, batch mean and inverse std (per channel). */
    private transient INDArray lastInput;
    private transient INDArray lastOutput;
    private transient INDArray batchMean;
    private transient INDArray batchVar;
    private transient INDArray batchInv;
    private transient boolean lastTraining;
    private transient long recomputes;

    public FusedBatchNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private FusedBatchNorm fused() {
        return (FusedBatchNorm) conf.getLayer();
    }

    private boolean handles(INDArray x) {
        return x != null && x.rank() == 4 && fused().getCnn2DFormat() != CNN2DFormat.NHWC;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        if (!handles(input)) {
            requireNoRelu();
            return super.activate(training, workspaceMgr);
        }
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray x = input.isView() || input.ordering() != 'c' ? input.dup('c') : input;
        long n = x.size(0);
        long c = x.size(1);
        long hw = x.size(2) * x.size(3);
        INDArray x2 = x.reshape('c', n * c, hw);
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c);
        INDArray beta = getParam(BatchNormalizationParamInitializer.BETA).reshape(c);
        double eps = fused().getEps();
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        INDArray out2 = out.reshape('c', n * c, hw);
        out2.assign(x2);
        INDArray mean;
        INDArray var;
        INDArray rowMean = null;
        if (training) {
            // per row (one channel of one image): its mean, then its variance from the centred row
            // (two passes, stable); per channel: var_c = mean over rows of rowVar + (rowMean - mean_c)^2
            rowMean = x2.mean(1);
            out2.subiColumnVector(rowMean.reshape(n * c, 1));
            INDArray rowNorm = out2.norm2(1);
            INDArray rowVar = rowNorm.muli(rowNorm).divi(hw).reshape(n, c);
            INDArray rm = rowMean.reshape(n, c);
            mean = rm.mean(0);
            INDArray d = rm.subRowVector(mean.reshape(1, c));
            var = rowVar.addi(d.muli(d)).mean(0);
        } else {
            mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(c);
            var = runningVariance(c);
        }
        INDArray inv = Transforms.pow(var.add(eps), -0.5, false);
        INDArray scale = gamma.mul(inv);
        // out = (x - centre) * scale + beta + (centre - mean) * scale, centre = the row's mean (training) or 0
        INDArray shiftRows = rows(beta.sub(mean.mul(scale)), n);
        INDArray scaleRows = rows(scale, n);
        if (rowMean != null) {
            shiftRows.addi(rowMean.reshape(n * c, 1).mul(scaleRows));
        }
        out2.muliColumnVector(scaleRows).addiColumnVector(shiftRows);
        if (fused().isRelu()) {
            Transforms.relu(out, false);
        }
        lastTraining = training;
        lastInput = input;
        lastOutput = out;
        try (var ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            batchMean = mean.dup();
            batchVar = var.dup();
            batchInv = inv.dup();
        }
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (!handles(input)) {
            requireNoRelu();
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        if (lastInput != input || lastOutput == null) {
            // not the input of the last forward: recompute its statistics and output (outside the workspaces)
            recomputes++;
            activate(lastInput == null || lastTraining, LayerWorkspaceMgr.noWorkspaces());
        }
        INDArray x = input.isView() || input.ordering() != 'c' ? input.dup('c') : input;
        long n = x.size(0);
        long c = x.size(1);
        long hw = x.size(2) * x.size(3);
        double m = (double) n * hw;
        INDArray x2 = x.reshape('c', n * c, hw);
        INDArray g = fused().isRelu() ? reluMask(epsilon, lastOutput, workspaceMgr)
                : workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsilon, 'c');
        INDArray g2 = g.reshape('c', n * c, hw);
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA).reshape(c);
        INDArray sumG = g2.sum(1).reshape(n, c).sum(0);
        INDArray rowDot = Nd4j.getExecutioner().exec(new Dot(g2, x2, 1));
        INDArray sumGx = rowDot.reshape(n, c).sum(0);
        INDArray mean = batchMean.castTo(x.dataType());
        INDArray inv = batchInv.castTo(x.dataType());
        INDArray dGamma = sumGx.sub(mean.mul(sumG)).muli(inv);
        INDArray dBeta = sumG;
        INDArray a = gamma.mul(inv);
        if (lastTraining) {
            INDArray b = a.mul(inv).muli(dGamma).divi(-m);
            INDArray cc = a.mul(dBeta).divi(-m).subi(b.mul(mean));
            INDArray bx = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, x.dataType(), new long[] {n * c, hw}, 'c');
            bx.assign(x2).muliColumnVector(rows(b, n));
            g2.muliColumnVector(rows(a, n)).addi(bx).addiColumnVector(rows(cc, n));
        } else {
            g2.muliColumnVector(rows(a, n));  // the running statistics are constants
        }
        Gradient ret = new DefaultGradient();
        INDArray dGammaView = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
        INDArray dBetaView = gradientViews.get(BatchNormalizationParamInitializer.BETA);
        dGammaView.assign(dGamma.reshape(dGammaView.shape()));
        dBetaView.assign(dBeta.reshape(dBetaView.shape()));
        ret.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        ret.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        boolean logStd = fused().isUseLogStd();
        String varKey = logStd ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD : BatchNormalizationParamInitializer.GLOBAL_VAR;
        INDArray dMeanView = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray dVarView = gradientViews.get(varKey);
        if (lastTraining) {
            // DL4J's rule: the NoOp updater subtracts this "gradient", leaving decay * running + (1 - decay) * batch
            double decay = fused().getDecay();
            INDArray gm = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            dMeanView.assign(gm.sub(batchMean.castTo(gm.dataType()).reshape(gm.shape())).muli(1 - decay));
            INDArray gv = runningVariance(c);
            INDArray bv = batchVar.castTo(gv.dataType());
            if (logStd) {
                // log10 std of the new running variance: gradient = old - new = log10(old var / new var) / 2
                INDArray newVar = gv.mul(decay).addi(bv.mul(1 - decay));
                dVarView.assign(Transforms.log(gv.div(newVar), false).muli(0.5 / Math.log(10)).reshape(dVarView.shape()));
            } else {
                dVarView.assign(gv.sub(bv).muli(1 - decay).reshape(dVarView.shape()));
            }
        } else {
            dMeanView.assign(0);
            dVarView.assign(0);
        }
        ret.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMeanView);
        ret.setGradientFor(varKey, dVarView);
        lastInput = null;
        lastOutput = null;
        INDArray dx = g.reshape(input.shape());
        return new Pair<>(ret, backpropDropOutIfPresent(dx));
    }

    /** The running variance [C], from the stored variance or log10 std (DL4J's default layout). */
    private INDArray runningVariance(long c) {
        if (fused().isUseLogStd()) {
            INDArray log10std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(c);
            // var = 10^(2 * log10 std) = exp(2 ln10 * log10 std)
            return Transforms.exp(log10std.mul(2 * Math.log(10)), false);
        }
        return getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(c);
    }

    private void requireNoRelu() {
        if (fused().isRelu()) {
            throw new IllegalStateException("FusedBatchNorm with ReLU needs a 4-d NCHW input, got "
                    + (input == null ? "none" : java.util.Arrays.toString(input.shape())) + " " + layerId());
        }
    }

    /** How many backprops had to recompute their forward (their input was not the last forward's). */
    public long recomputes() {
        return recomputes;
    }

    /** epsilon where {@code output} > 0, else 0 (ReLU's backward, read from its output). */
    private static INDArray reluMask(INDArray epsilon, INDArray output, LayerWorkspaceMgr workspaceMgr) {
        INDArray g = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(), epsilon.shape(), 'c');
        Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(output, epsilon).addOutputs(g)
                .addFloatingPointArguments(0.0).build());
        return g;
    }

    /** A per-channel vector [C] repeated for each of n images: a column [n*C, 1], row i*C + c holds v[c]. */
    private static INDArray rows(INDArray v, long n) {
        double[] per = v.toDoubleVector();
        int c = per.length;
        double[] all = new double[(int) (n * c)];
        for (int i = 0; i < n; i++) {
            System.arraycopy(per, 0, all, i * c, c);
        }
        return Nd4j.create(all, new long[] {n * c, 1}, v.dataType());
    }
}
