package dev.pretext.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * MSBReg (multi-view centroid + singular-value + Brownian, arXiv 2207.03552) as a {@link HandWrittenLoss}
 * output layer. The paper's equations are not available (see METHODS.md); this is the project's reading,
 * with the paper's weights λs = 0.004 and λb = 0.5 as defaults.
 *
 * <p><b>Input</b> [N, 2D] = [p | z] (MergeVertex): p the online predictions, z the EMA target network's
 * projections (constants: the gradient w.r.t. the z half is exactly zero). N = K*B rows, view k of image i
 * in row k*B + i; labels [N, 1] hold the image id i (a batch that breaks the layout is rejected).
 * u_r = p_r / sqrt(|p_r|^2 + 1e-12) (and likewise for z).
 *
 * <p><b>Score</b> (after DL4J's division by N; the layer returns N times it, as a sum over rows):
 * <pre>
 *   L = mean_i Lc_i + λs * Lsv + λb * mean_r cos(p_r, g_r)
 * </pre>
 * <ul>
 *   <li><b>Centroid</b> (centroid variant, after the paper's overview figure): c_i = normalise(mean_k u_{kB+i}),
 *       t_i = normalise(mean_k normalise(z_{kB+i})), Lc_i = 2 - 2 c_i . sg(t_i). With K = 2 this is not
 *       exactly BYOL (whose target for view a is view b alone).
 *   <li><b>Singular value</b>, on the N x D matrix of all online rows (every view is a particle): M = the
 *       row-normalised u, centred by its column mean; σ its singular values, r = min(N - 1, D) (centring
 *       removes one rank). Lsv = |σ/|σ| - 1/sqrt(r)|^2 = 2 - 2 Σσ / (sqrt(r) |σ|), the squared distance of
 *       the unit singular-value vector from uniform: 0 iff the r singular values are equal, scale-free.
 *       The SVD (libnd4j's Jacobi "svd", in double) is taken outside autodiff; the gradient is
 *       dLsv/dM = Σ_i dLsv/dσ_i u_i v_i^T, chained through the centring (subtract the column mean of the
 *       gradient) and the row normalisation.
 *   <li><b>Brownian</b>: g_r a random unit vector per row and per step, cos(p_r, g_r) = u_r . g_r; its gradient
 *       is a random push tangent to the sphere. g depends only on (seed, step) through
 *       {@code java.util.Random} (a specified algorithm), so a resumed run draws the same noise.
 * </ul>
 * Per row (computeScoreForExamples), row kB+i carries Lc_i + λs Lsv + λb u_r . g_r.
 *
 * <p><b>State</b>: {@value #STEP} [1, 1], the step counter, an integer stored as a float (kept mod 2^24, so
 * it is exact; the noise stream repeats after 16.7M steps). It advances by one in a training backprop,
 * after the gradient was computed with the noise of the old step, and never in score-only or inference
 * calls. A gradient check freezes the layer ({@link HandWrittenLossLayer#setStateFrozen}), so the noise is
 * the same in its backprop and in all its perturbed scores; perturbing the counter by ε does not change
 * rint(step), so its numeric gradient is 0 like its analytic one.
 */
public class MsbRegLoss extends HandWrittenLoss {

    public static final String STEP = "step";
    public static final double DEFAULT_LAMBDA_S = 0.004;
    public static final double DEFAULT_LAMBDA_B = 0.5;
    static final long STEP_MODULUS = 1L << 24;

    private static final double NORM_EPS = 1e-12;
    /** libnd4j's svd switches to a divide-and-conquer path above this size; that path fails in M2.1. */
    private static final int SVD_JACOBI_ALWAYS = 1 << 30;

    private int views = 2;
    private double lambdaS = DEFAULT_LAMBDA_S;
    private double lambdaB = DEFAULT_LAMBDA_B;
    private long seed;

    /** For JSON deserialisation. */
    public MsbRegLoss() {
    }

    public MsbRegLoss(int views, long seed) {
        this(views, DEFAULT_LAMBDA_S, DEFAULT_LAMBDA_B, seed);
    }

    public MsbRegLoss(int views, double lambdaS, double lambdaB, long seed) {
        if (views < 2) {
            throw new IllegalArgumentException("MSBReg needs K >= 2 views per image, got " + views);
        }
        if (!(lambdaS >= 0) || Double.isInfinite(lambdaS) || !(lambdaB >= 0) || Double.isInfinite(lambdaB)) {
            throw new IllegalArgumentException("MSBReg weights must be finite and >= 0, got lambdaS=" + lambdaS
                    + " lambdaB=" + lambdaB);
        }
        this.views = views;
        this.lambdaS = lambdaS;
        this.lambdaB = lambdaB;
        this.seed = seed;
    }

    public int getViews() {
        return views;
    }

    public double getLambdaS() {
        return lambdaS;
    }

    public double getLambdaB() {
        return lambdaB;
    }

    public long getSeed() {
        return seed;
    }

    @Override
    protected void validateInputWidth(long n) {
        if (n < 2 || n % 2 != 0) {
            throw new IllegalArgumentException("MsbRegLoss (layer " + layerName
                    + ") expects input [N, 2D] = [online predictions | target projections], got width " + n);
        }
    }

    @Override
    public LinkedHashMap<String, long[]> stateShapes() {
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        m.put(STEP, new long[] {1, 1});
        return m;
    }

    @Override
    public void initState(Map<String, INDArray> state) {
        state.get(STEP).assign(0);
    }

    static long stepOf(Map<String, INDArray> state) {
        return Math.floorMod((long) Math.rint(state.get(STEP).getDouble(0)), STEP_MODULUS);
    }

    /** The Brownian directions of one step: [n, d] unit rows, a function of (seed, step) only. */
    public static double[][] noise(long seed, long step, int n, int d) {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + step);
        double[][] g = new double[n][d];
        for (double[] row : g) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                row[k] = r.nextGaussian();
                s += row[k] * row[k];
            }
            double norm = Math.sqrt(s);
            for (int k = 0; k < d; k++) {
                row[k] /= norm;
            }
        }
        return g;
    }

    private static INDArray rowNorms(INDArray x) {
        return Transforms.sqrt(x.mul(x).sum(true, 1).addi(NORM_EPS), false);
    }

    /** Sum over the K views of each image: [N, D] -> [B, D]. */
    private static INDArray sumViews(INDArray x, int k, int b) {
        INDArray s = x.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()).dup();
        for (int v = 1; v < k; v++) {
            s.addi(x.get(NDArrayIndex.interval((long) v * b, (long) (v + 1) * b), NDArrayIndex.all()));
        }
        return s;
    }

    /** Singular values (and U [n, r], V [d, r]) of a double matrix, r = min(n, d). */
    static INDArray[] svd(INDArray m) {
        return Nd4j.exec(DynamicCustomOp.builder("svd").addInputs(m.dup('c'))
                .addIntegerArguments(0, 1, SVD_JACOBI_ALWAYS).build());
    }

    /**
     * The singular-value loss of an [n, d] matrix of online rows and, when {@code withGradient}, its gradient
     * w.r.t. those rows (both in double). Exposed for tests.
     */
    static Object[] singularValueLoss(INDArray p, boolean withGradient) {
        long n = p.size(0);
        long d = p.size(1);
        INDArray norm = rowNorms(p);
        INDArray u = p.divColumnVector(norm);
        INDArray m = u.subRowVector(u.mean(true, 0));
        if (n > d) {
            return gramPath(m, u, norm, n, d, withGradient);
        }
        INDArray[] usv = svd(m);
        double[] sigma = usv[0].toDoubleVector();
        double s1 = 0;
        double s2sq = 0;
        for (double s : sigma) {
            s1 += s;
            s2sq += s * s;
        }
        double s2 = Math.sqrt(s2sq + NORM_EPS);
        double sqrtR = Math.sqrt(Math.min(n - 1, d));
        double loss = 2 - 2 * s1 / (sqrtR * s2);
        if (!withGradient) {
            return new Object[] {loss, null};
        }
        double[] dSigma = new double[sigma.length];
        for (int i = 0; i < sigma.length; i++) {
            dSigma[i] = -2 / sqrtR * (1 / s2 - s1 * sigma[i] / (s2 * s2 * s2));
        }
        INDArray gm = usv[1].mulRowVector(Nd4j.createFromArray(dSigma)).mmul(usv[2].transpose());
        INDArray gu = gm.subRowVector(gm.mean(true, 0));
        INDArray gp = gu.sub(u.mulColumnVector(u.mul(gu).sum(true, 1))).divColumnVector(norm);
        return new Object[] {loss, gp};
    }

    /**
     * The singular-value loss through the d x d Gram matrix when there are more rows than columns (the
     * training case: K*B rows of D-dimensional predictions): sigma_i^2 are the eigenvalues of
     * M^T M and v_i its eigenvectors (LAPACK's symmetric solver), so dL/dM = sum_i dL/dsigma_i u_i v_i^T
     * = M V diag(dL/dsigma_i / sigma_i) V^T. The one-sided Jacobi SVD of the 512 x 128 matrix of
     * a 4-view batch took 2 s a step; this takes milliseconds. Directions with sigma_i below 1e-9
     * of the largest (rank deficiency) get no gradient.
     */
    private static Object[] gramPath(INDArray m, INDArray u, INDArray norm, long n, long d, boolean withGradient) {
        INDArray gram = m.transpose().mmul(m);
        gram = gram.add(gram.transpose()).muli(0.5).dup('f');          // exactly symmetric, column-major for LAPACK
        INDArray lambda = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(gram, true);
        double[] lam = lambda.toDoubleVector();
        double[] sigma = new double[lam.length];
        double s1 = 0;
        double s2sq = 0;
        double max = 0;
        for (int i = 0; i < lam.length; i++) {
            sigma[i] = Math.sqrt(Math.max(0, lam[i]));
            s1 += sigma[i];
            s2sq += sigma[i] * sigma[i];
            max = Math.max(max, sigma[i]);
        }
        double s2 = Math.sqrt(s2sq + NORM_EPS);
        double sqrtR = Math.sqrt(Math.min(n - 1, d));
        double loss = 2 - 2 * s1 / (sqrtR * s2);
        if (!withGradient) {
            return new Object[] {loss, null};
        }
        double[] coef = new double[sigma.length];
        for (int i = 0; i < sigma.length; i++) {
            double dSigma = -2 / sqrtR * (1 / s2 - s1 * sigma[i] / (s2 * s2 * s2));
            coef[i] = sigma[i] > 1e-9 * max ? dSigma / sigma[i] : 0.0;
        }
        INDArray v = gram;                                               // the eigenvectors, one per column
        INDArray gm = m.mmul(v.mulRowVector(Nd4j.createFromArray(coef))).mmul(v.transpose());
        INDArray gu = gm.subRowVector(gm.mean(true, 0));
        INDArray gp = gu.sub(u.mulColumnVector(u.mul(gu).sum(true, 1))).divColumnVector(norm);
        return new Object[] {loss, gp};
    }

    @Override
    public Evaluation evaluate(INDArray input, INDArray labels, Map<String, INDArray> state, boolean withGradient) {
        long width = input.rank() == 2 ? input.size(1) : -1;
        validateInputWidth(width);
        int b = checkLayout(input, labels, views, width);
        int d = (int) (width / 2);
        int n = views * b;
        INDArray x = input.castTo(DataType.DOUBLE);
        INDArray p = x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d));
        INDArray norm = rowNorms(p);
        INDArray u = p.divColumnVector(norm);
        INDArray zt = x.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2L * d));
        INDArray zu = zt.divColumnVector(rowNorms(zt));

        // centroid
        INDArray cOn = sumViews(u, views, b).divi(views);
        INDArray cNorm = rowNorms(cOn);
        INDArray c = cOn.divColumnVector(cNorm);
        INDArray tc = sumViews(zu, views, b).divi(views);
        INDArray t = tc.divColumnVector(rowNorms(tc));
        INDArray cos = c.mul(t).sum(true, 1);                                   // [B, 1]
        double[] centroid = cos.mul(-2).addi(2).reshape(b).toDoubleVector();

        // singular value
        Object[] sv = singularValueLoss(p, withGradient);
        double lsv = (double) sv[0];

        // Brownian
        INDArray g = Nd4j.createFromArray(noise(seed, stepOf(state), n, d));
        double[] brown = u.mul(g).sum(true, 1).reshape(n).toDoubleVector();

        double[] rows = new double[n];
        for (int r = 0; r < n; r++) {
            rows[r] = centroid[r % b] + lambdaS * lsv + lambdaB * brown[r];
        }
        if (!withGradient) {
            return new Evaluation(rows, null);
        }
        // d(total)/dc_i = -2K t_i (each image's term is counted on its K rows); through c = cOn/|cOn| and
        // cOn = mean_k u_k: each view's u gets -2 (t - c (c.t)) / |cOn|.
        INDArray gc = t.sub(c.mulColumnVector(cos)).divColumnVector(cNorm).muli(-2.0);
        INDArray gu = Nd4j.vstack(java.util.Collections.nCopies(views, gc).toArray(new INDArray[0]));
        gu.addi(g.mul(lambdaB));
        INDArray gp = gu.sub(u.mulColumnVector(u.mul(gu).sum(true, 1))).divColumnVector(norm);
        gp.addi(((INDArray) sv[1]).mul(lambdaS * n));
        INDArray grad = Nd4j.zeros(DataType.DOUBLE, n, 2L * d);
        grad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).assign(gp);
        return new Evaluation(rows, grad.castTo(input.dataType()));
    }

    @Override
    public void advanceState(INDArray input, INDArray labels, Map<String, INDArray> state) {
        state.get(STEP).assign((stepOf(state) + 1) % STEP_MODULUS);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MsbRegLoss other && super.equals(o) && views == other.views
                && Double.compare(lambdaS, other.lambdaS) == 0 && Double.compare(lambdaB, other.lambdaB) == 0
                && seed == other.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), views, lambdaS, lambdaB, seed);
    }

    @Override
    public String toString() {
        return "MsbRegLoss(views=" + views + ", lambdaS=" + lambdaS + ", lambdaB=" + lambdaB + ", seed=" + seed + ")";
    }
}
