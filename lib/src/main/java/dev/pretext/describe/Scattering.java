package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The 2-D scattering transform of each colour channel (pixel / 255), orders 0, 1 and 2, following
 * Kymatio's {@code Scattering2D} algorithm with the filters of {@link MorletFilterBank}:
 * <pre>
 *   S0 = x * phi                                   subsampled by 2^J
 *   S1[j1,t1] = |x * psi[j1,t1]| * phi            subsampled by 2^J
 *   S2[j1,t1,j2,t2] = ||x * psi[j1,t1]| * psi[j2,t2]| * phi   for j2 > j1, subsampled by 2^J
 * </pre>
 * computed as Kymatio does: each modulus is taken at its own scale's resolution (|x * psi_j| is
 * subsampled by 2^j before the next convolution, in the Fourier domain), all convolutions are
 * circular on the padded grid.
 *
 * <p>Padding: each side is reflected (numpy's {@code reflect}, edge not repeated) to the next power
 * of two P >= side + 2 * 2^J, with the image at an offset that is a multiple of 2^J (so output
 * sample i sits on image pixel i * 2^J) and at least 2^J pixels of reflection on each side. The
 * output keeps the ceil(side / 2^J) samples that fall on the image.
 *
 * <p>Output layout, as Kymatio's (B, C, K, H', W') flattened: [channel][k][row][column] with
 * k = 0 the order-0 coefficient, then order 1 for n1 = j1 * L + t1, then order 2 for (n1, n2)
 * with j2 > j1 in lexicographic order. K = 1 + J L + L^2 J (J - 1) / 2 (81 for J = 2, L = 8), and
 * the length is 3 K ceil(H / 2^J) ceil(W / 2^J) (3 * 81 * 24 * 24 = 139968 for 96x96).
 *
 * <p>Filters are built once per image size and cached (transient, rebuilt after deserialisation).
 *
 * <p>Speed (about 4x {@link ScatteringReference}, the straightforward version this class replaced,
 * with the same output to within 1e-5; {@code bin/pretext bench describe} measures both): the FFTs
 * are {@link SpectralFft}'s, whose butterflies run over whole rows and vectorise; two real signals
 * share each complex FFT (the colour channels in pairs, and pairs of moduli |x * psi|, see
 * {@link #transform}); filters are stored with their 1/N factors folded in
 * ({@link ScatteringPlan}); and scratch arrays are reused per thread, never shared.
 */
public final class Scattering implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "scattering";
    static final int MAX_J = 6;
    static final int MAX_L = 32;

    private final int bigJ;
    private final int bigL;
    private transient volatile ConcurrentHashMap<Long, ScatteringPlan> plans;

    /** J = 2, L = 8, as in MV-MR (and Kymatio's usual setting for small images). */
    public Scattering() {
        this(2, 8);
    }

    public Scattering(int bigJ, int bigL) {
        if (bigJ < 1 || bigJ > MAX_J) {
            throw new UserError("descriptor 'scattering': j must be in [1, " + MAX_J + "], got " + bigJ);
        }
        if (bigL < 1 || bigL > MAX_L) {
            throw new UserError("descriptor 'scattering': l must be in [1, " + MAX_L + "], got " + bigL);
        }
        this.bigJ = bigJ;
        this.bigL = bigL;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Scattering channels per colour channel: 1 + J L + L^2 J (J - 1) / 2. */
    public int channelsPerInput() {
        return 1 + bigJ * bigL + bigL * bigL * bigJ * (bigJ - 1) / 2;
    }

    @Override
    public int dimension(int height, int width) {
        checkSize(height, width, null);
        return RgbPlanes.CHANNELS * channelsPerInput() * outSide(height) * outSide(width);
    }

    private int outSide(int side) {
        return (side + (1 << bigJ) - 1) >> bigJ;
    }

    private void checkSize(int height, int width, String imageId) {
        if (height < 1 || width < 1) {
            throw RgbPlanes.tooSmall(NAME, imageId, height, width, "needs at least 1x1");
        }
        if (height > 4096 || width > 4096) {
            throw new UserError("descriptor 'scattering'" + (imageId == null ? "" : ", image '" + imageId + "'")
                    + ": image size " + width + "x" + height + " is too large; at most 4096 pixels per side");
        }
    }

    /** Padded side for an image side: the next power of two with room for 2^J of reflection each side. */
    int paddedSide(int side) {
        return Fft.nextPowerOfTwo(side + 2 * (1 << bigJ));
    }

    /** Offset of the image in the padded grid: centred, rounded down to a multiple of 2^J. */
    int offset(int side) {
        return ((paddedSide(side) - side) / 2 >> bigJ) << bigJ;
    }

    /** The filters and tables for an image size (one per padded grid, built once). */
    ScatteringPlan plan(int height, int width) {
        return planForGrid(paddedSide(height), paddedSide(width));
    }

    private ScatteringPlan planForGrid(int rows, int cols) {
        ConcurrentHashMap<Long, ScatteringPlan> m = plans;
        if (m == null) {
            synchronized (this) {
                if (plans == null) {
                    plans = new ConcurrentHashMap<>();
                }
                m = plans;
            }
        }
        return m.computeIfAbsent(((long) rows << 32) | cols,
                k -> new ScatteringPlan(new MorletFilterBank(rows, cols, bigJ, bigL)));
    }

    MorletFilterBank bank(int height, int width) {
        return plan(height, width).bank;
    }

    @Override
    public float[] compute(ImageRecord image) {
        int[] planes = RgbPlanes.planes(image, NAME);
        int h = image.height();
        int w = image.width();
        checkSize(h, w, image.id());
        ScatteringPlan plan = plan(h, w);
        Workspace ws = workspace(plan);
        int outH = outSide(h);
        int outW = outSide(w);
        int k = channelsPerInput();
        int rowOff = offset(h) >> bigJ;
        int colOff = offset(w) >> bigJ;
        float[] out = new float[RgbPlanes.CHANNELS * k * outH * outW];
        MapSink sink = (channel, index, map) -> {
            int o = (channel * k + index) * outH * outW;
            for (int y = 0; y < outH; y++) {
                double[] row = map[rowOff + y];
                for (int x = 0; x < outW; x++) {
                    out[o++] = (float) row[colOff + x];
                }
            }
        };
        int[] rowIdx = reflectIndex(h, offset(h), plan.rowsAt[0]);
        int[] colIdx = reflectIndex(w, offset(w), plan.colsAt[0]);
        Level l0 = ws.levels[0];
        // Channels two at a time, as the real and imaginary parts of one complex input.
        for (int c = 0; c < RgbPlanes.CHANNELS; c += 2) {
            int second = c + 1 < RgbPlanes.CHANNELS ? c + 1 : -1;
            fillPadded(planes, c, h, w, rowIdx, colIdx, l0.mRe);
            if (second >= 0) {
                fillPadded(planes, second, h, w, rowIdx, colIdx, l0.mIm);
            } else {
                zero(l0.mIm);
            }
            transform(plan, ws, c, second, sink);
        }
        return out;
    }

    /** Channel {@code c} of the CHW planes, scaled to 0..1 and reflect-padded to the bank's grid. */
    double[] pad(int[] planes, int c, int h, int w, MorletFilterBank bank) {
        int[] rowIdx = reflectIndex(h, offset(h), bank.rows);
        int[] colIdx = reflectIndex(w, offset(w), bank.cols);
        int base = c * h * w;
        double[] x = new double[bank.rows * bank.cols];
        for (int y = 0; y < bank.rows; y++) {
            int src = base + rowIdx[y] * w;
            for (int z = 0; z < bank.cols; z++) {
                x[y * bank.cols + z] = planes[src + colIdx[z]] / 255.0;
            }
        }
        return x;
    }

    /** {@link #pad} into the rows of a workspace grid. */
    private static void fillPadded(int[] planes, int c, int h, int w, int[] rowIdx, int[] colIdx, double[][] grid) {
        int base = c * h * w;
        for (int y = 0; y < rowIdx.length; y++) {
            int src = base + rowIdx[y] * w;
            double[] row = grid[y];
            for (int z = 0; z < colIdx.length; z++) {
                row[z] = planes[src + colIdx[z]] / 255.0;
            }
        }
    }

    /** Image index of each padded position, numpy 'reflect' extended periodically (any pad width). */
    static int[] reflectIndex(int size, int offset, int padded) {
        int[] idx = new int[padded];
        int period = 2 * (size - 1);
        for (int i = 0; i < padded; i++) {
            if (size == 1) {
                idx[i] = 0;
                continue;
            }
            int p = Math.floorMod(i - offset, period);
            idx[i] = p < size ? p : period - p;
        }
        return idx;
    }

    /**
     * All K scattering maps of one padded channel on the whole coarse grid (rows / 2^J x cols / 2^J,
     * row-major): Kymatio's subsampled algorithm when {@code subsample}; else every convolution at
     * full resolution on the padded grid (an exact, alias-free reference for the tests, computed by
     * {@link ScatteringReference}).
     */
    double[][] transformPadded(double[] x, MorletFilterBank bank, boolean subsample) {
        if (!subsample) {
            return new ScatteringReference(bigJ, bigL).transformPadded(x, bank, false);
        }
        ScatteringPlan plan = planForGrid(bank.rows, bank.cols);
        Workspace ws = workspace(plan);
        Level l0 = ws.levels[0];
        for (int y = 0; y < bank.rows; y++) {
            System.arraycopy(x, y * bank.cols, l0.mRe[y], 0, bank.cols);
        }
        zero(l0.mIm);
        int coarseRows = plan.rowsAt[bigJ];
        int coarseCols = plan.colsAt[bigJ];
        double[][] out = new double[channelsPerInput()][];
        transform(plan, ws, 0, -1, (channel, index, map) -> {
            double[] flat = new double[coarseRows * coarseCols];
            for (int y = 0; y < coarseRows; y++) {
                System.arraycopy(map[y], 0, flat, y * coarseCols, coarseCols);
            }
            out[index] = flat;
        });
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // The transform. Two real inputs a and b travel as one complex signal a + i b wherever the
    // next step is linear: the FFT of a + i b is A + i B, and since phi is real and even, the
    // low-pass IFFT(periodise((A + i B) phi)) is S_a + i S_b (both real). Before a wavelet, whose
    // output is complex, A and B are separated with A = (W(f) + conj W(-f)) / 2 and
    // B = (W(f) - conj W(-f)) / 2i. So the colour channels go in pairs, and so do their moduli
    // |x * psi| for the same wavelet (a lone channel pairs those of neighbouring orientations):
    // half the forward FFTs and half the low-pass IFFTs.

    /** Receives each finished map: the coarse spatial grid (rows / 2^J arrays of cols / 2^J). */
    @FunctionalInterface
    interface MapSink {
        void accept(int channel, int index, double[][] map);
    }

    /**
     * The scattering of the padded channels in level 0's {@code mRe} (channel {@code a}) and
     * {@code mIm} (channel {@code b}, or zeros when {@code b < 0}): every map to the sink.
     */
    private void transform(ScatteringPlan plan, Workspace ws, int a, int b, MapSink sink) {
        Level l0 = ws.levels[0];
        SpectralFft.forward(l0.mRe, l0.mIm, l0.nRe, l0.nIm, plan.rowsAt[0], plan.colsAt[0]);
        lowPass(plan, ws, l0.nRe, l0.nIm, 0, a, 0, b, 0, sink);
        if (b >= 0) {
            unpack(l0.nRe, l0.nIm, ws.xaRe, ws.xaIm, ws.xbRe, ws.xbIm);
            firstOrderPair(plan, ws, a, b, sink);
        } else {
            // a real input alone: its spectrum is the FFT's output itself
            double[][] t = ws.xaRe;
            ws.xaRe = l0.nRe;
            l0.nRe = t;
            t = ws.xaIm;
            ws.xaIm = l0.nIm;
            l0.nIm = t;
            firstOrder(plan, ws, ws.xaRe, ws.xaIm, a, sink);
        }
    }

    /**
     * Orders 1 and 2 of two channels at once, from their spectra in the workspace's xa and xb: each
     * wavelet is applied to both (so it is read once for the two), and the two moduli share the
     * forward FFT, the low-pass and, below resolution J - 1, the order-2 work.
     */
    private void firstOrderPair(ScatteringPlan plan, Workspace ws, int a, int b, MapSink sink) {
        for (int j1 = 0; j1 < bigJ; j1++) {
            Level l = ws.levels[j1];
            for (int n1 = j1 * bigL; n1 < (j1 + 1) * bigL; n1++) {
                modulus(plan, ws, ws.xaRe, ws.xaIm, 0, plan.psi[n1][0], j1, l.mRe);
                modulus(plan, ws, ws.xbRe, ws.xbIm, 0, plan.psi[n1][0], j1, l.mIm);
                SpectralFft.forward(l.mRe, l.mIm, l.nRe, l.nIm, plan.rowsAt[j1], plan.colsAt[j1]);
                lowPass(plan, ws, l.nRe, l.nIm, j1, a, 1 + n1, b, 1 + n1, sink);
                if (j1 + 1 < bigJ) {
                    unpack(l.nRe, l.nIm, l.uaRe, l.uaIm, l.ubRe, l.ubIm);
                    for (int j2 = j1 + 1; j2 < bigJ; j2++) {
                        Level l2 = ws.levels[j2];
                        for (int n2 = j2 * bigL; n2 < (j2 + 1) * bigL; n2++) {
                            modulus(plan, ws, l.uaRe, l.uaIm, j1, plan.psi[n2][j1], j2, l2.mRe);
                            modulus(plan, ws, l.ubRe, l.ubIm, j1, plan.psi[n2][j1], j2, l2.mIm);
                            SpectralFft.forward(l2.mRe, l2.mIm, l2.nRe, l2.nIm, plan.rowsAt[j2], plan.colsAt[j2]);
                            int k = plan.order2Index[n1][n2];
                            lowPass(plan, ws, l2.nRe, l2.nIm, j2, a, k, b, k, sink);
                        }
                    }
                }
            }
        }
    }

    /**
     * Orders 1 and 2 from the spectrum X (resolution 0) of a channel without a partner: here the
     * moduli of neighbouring orientations share the forward FFTs.
     */
    private void firstOrder(ScatteringPlan plan, Workspace ws, double[][] xRe, double[][] xIm, int channel, MapSink sink) {
        for (int j1 = 0; j1 < bigJ; j1++) {
            Level l = ws.levels[j1];
            for (int t = 0; t < bigL; t += 2) {
                int na = j1 * bigL + t;
                int nb = t + 1 < bigL ? na + 1 : -1;
                modulus(plan, ws, xRe, xIm, 0, plan.psi[na][0], j1, l.mRe);
                if (nb >= 0) {
                    modulus(plan, ws, xRe, xIm, 0, plan.psi[nb][0], j1, l.mIm);
                } else {
                    zero(l.mIm);
                }
                SpectralFft.forward(l.mRe, l.mIm, l.nRe, l.nIm, plan.rowsAt[j1], plan.colsAt[j1]);
                lowPass(plan, ws, l.nRe, l.nIm, j1, channel, 1 + na, nb >= 0 ? channel : -1, 1 + nb, sink);
                if (j1 + 1 < bigJ) {
                    if (nb >= 0) {
                        unpack(l.nRe, l.nIm, l.uaRe, l.uaIm, l.ubRe, l.ubIm);
                        secondOrder(plan, ws, l.uaRe, l.uaIm, j1, na, channel, sink);
                        secondOrder(plan, ws, l.ubRe, l.ubIm, j1, nb, channel, sink);
                    } else {
                        secondOrder(plan, ws, l.nRe, l.nIm, j1, na, channel, sink);
                    }
                }
            }
        }
    }

    /** Order 2 from the spectrum U (resolution j1) of |x * psi[n1]|. */
    private void secondOrder(ScatteringPlan plan, Workspace ws, double[][] uRe, double[][] uIm, int j1, int n1,
                             int channel, MapSink sink) {
        for (int j2 = j1 + 1; j2 < bigJ; j2++) {
            Level l = ws.levels[j2];
            for (int t = 0; t < bigL; t += 2) {
                int na = j2 * bigL + t;
                int nb = t + 1 < bigL ? na + 1 : -1;
                modulus(plan, ws, uRe, uIm, j1, plan.psi[na][j1], j2, l.mRe);
                if (nb >= 0) {
                    modulus(plan, ws, uRe, uIm, j1, plan.psi[nb][j1], j2, l.mIm);
                } else {
                    zero(l.mIm);
                }
                SpectralFft.forward(l.mRe, l.mIm, l.nRe, l.nIm, plan.rowsAt[j2], plan.colsAt[j2]);
                lowPass(plan, ws, l.nRe, l.nIm, j2, channel, plan.order2Index[n1][na],
                        nb >= 0 ? channel : -1, nb >= 0 ? plan.order2Index[n1][nb] : -1, sink);
            }
        }
    }

    /** {@code target} := |IFFT(periodise(X * filter))|: X at resolution {@code from}, the result at {@code to}. */
    private static void modulus(ScatteringPlan plan, Workspace ws, double[][] xRe, double[][] xIm, int from,
                                double[][] filter, int to, double[][] target) {
        Level l = ws.levels[to];
        periodise(xRe, xIm, filter, l.pRe, l.pIm, plan.colsAt[from], plan.colsAt[to], plan.rowsAt[to]);
        int rows = plan.rowsAt[to];
        int cols = plan.colsAt[to];
        SpectralFft.inverse(l.pRe, l.pIm, l.qRe, l.qIm, rows, cols);
        for (int r = 0; r < rows; r++) {
            double[] qr = l.qRe[r];
            double[] qi = l.qIm[r];
            double[] out = target[r];
            for (int c = 0; c < cols; c++) {
                out[c] = Math.sqrt(qr[c] * qr[c] + qi[c] * qi[c]);
            }
        }
    }

    /**
     * The low-pass of the spectrum W (resolution {@code from}) at resolution J: its real part is
     * map {@code ka} of channel {@code a}, its imaginary part map {@code kb} of channel {@code b}
     * (when {@code b >= 0}; W is then the spectrum of a real pair a + i b).
     */
    private void lowPass(ScatteringPlan plan, Workspace ws, double[][] wRe, double[][] wIm, int from,
                         int a, int ka, int b, int kb, MapSink sink) {
        Level l = ws.levels[bigJ];
        periodise(wRe, wIm, plan.phi[from], l.pRe, l.pIm, plan.colsAt[from], plan.colsAt[bigJ], plan.rowsAt[bigJ]);
        SpectralFft.inverse(l.pRe, l.pIm, l.qRe, l.qIm, plan.rowsAt[bigJ], plan.colsAt[bigJ]);
        sink.accept(a, ka, l.qRe);
        if (b >= 0) {
            sink.accept(b, kb, l.qIm);
        }
    }

    /**
     * {@code dst} := (S * filter) periodised onto a grid k times coarser on each axis (k = fineRows /
     * coarseRows), as a sum (the 1/k^2 is in the filter): the aliases of coarse frequency (f, g) are
     * (f + p coarseRows, g + q coarseLen), rows and row segments in the spectral layout.
     */
    private static void periodise(double[][] sRe, double[][] sIm, double[][] filter, double[][] dRe, double[][] dIm,
                                  int fineRows, int coarseRows, int coarseLen) {
        int k = fineRows / coarseRows;
        for (int jc = 0; jc < coarseRows; jc++) {
            double[] dr = dRe[jc];
            double[] di = dIm[jc];
            if (k == 1) {
                multiply(sRe[jc], sIm[jc], filter[jc], dr, di, coarseLen);
            } else if (k == 2) {
                int j = jc + coarseRows;
                periodise2(sRe[jc], sIm[jc], filter[jc], sRe[j], sIm[j], filter[j], dr, di, coarseLen);
            } else {
                multiply(sRe[jc], sIm[jc], filter[jc], dr, di, coarseLen);
                for (int p = 0; p < k; p++) {
                    int j = jc + p * coarseRows;
                    for (int q = p == 0 ? 1 : 0; q < k; q++) {
                        multiplyAdd(sRe[j], sIm[j], filter[j], q * coarseLen, dr, di, coarseLen);
                    }
                }
            }
        }
    }

    private static void multiply(double[] sr, double[] si, double[] f, double[] dr, double[] di, int n) {
        for (int i = 0; i < n; i++) {
            double g = f[i];
            dr[i] = sr[i] * g;
            di[i] = si[i] * g;
        }
    }

    /** The four aliases of a 2x coarser grid: rows a and b, each at i and i + n. */
    private static void periodise2(double[] ar, double[] ai, double[] af, double[] br, double[] bi, double[] bf,
                                   double[] dr, double[] di, int n) {
        for (int i = 0; i < n; i++) {
            double f0 = af[i];
            double f1 = af[i + n];
            double f2 = bf[i];
            double f3 = bf[i + n];
            dr[i] = ar[i] * f0 + ar[i + n] * f1 + br[i] * f2 + br[i + n] * f3;
            di[i] = ai[i] * f0 + ai[i + n] * f1 + bi[i] * f2 + bi[i + n] * f3;
        }
    }

    private static void multiplyAdd(double[] sr, double[] si, double[] f, int off, double[] dr, double[] di, int n) {
        for (int i = 0; i < n; i++) {
            double g = f[off + i];
            dr[i] += sr[off + i] * g;
            di[i] += si[off + i] * g;
        }
    }

    /**
     * Separates W = A + i B, the spectrum of a + i b for real a and b, into A and B (spectral layout:
     * -f is row (n - j) mod n, position (m - i) mod m).
     */
    private static void unpack(double[][] wRe, double[][] wIm, double[][] aRe, double[][] aIm,
                               double[][] bRe, double[][] bIm) {
        int n = wRe.length;
        int m = wRe[0].length;
        for (int j = 0; j < n; j++) {
            int nj = (n - j) & (n - 1);
            double[] wr = wRe[j];
            double[] wi = wIm[j];
            double[] vr = wRe[nj];
            double[] vi = wIm[nj];
            double[] ar = aRe[j];
            double[] ai = aIm[j];
            double[] br = bRe[j];
            double[] bi = bIm[j];
            for (int i = 0; i < m; i++) {
                int ni = (m - i) & (m - 1);
                double xr = wr[i];
                double xi = wi[i];
                double yr = vr[ni];
                double yi = vi[ni];
                ar[i] = 0.5 * (xr + yr);
                ai[i] = 0.5 * (xi - yi);
                br[i] = 0.5 * (xi + yi);
                bi[i] = 0.5 * (yr - xr);
            }
        }
    }

    private static void zero(double[][] grid) {
        for (double[] row : grid) {
            java.util.Arrays.fill(row, 0.0);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Scratch arrays. Each thread keeps one workspace (for the last grid size it saw, when that grid
    // has at most MAX_KEPT_CELLS cells: about 2.3 MB for 96 x 96 images (128 x 128 grids), 9 MB for 256 x 256 grids);
    // larger grids get fresh arrays per call. Nothing mutable is shared between threads.

    static final int MAX_KEPT_CELLS = 256 * 256;
    private static final ThreadLocal<Workspace> WORKSPACES = new ThreadLocal<>();

    private static Workspace workspace(ScatteringPlan plan) {
        Workspace ws = WORKSPACES.get();
        if (ws != null && ws.rows == plan.rowsAt[0] && ws.cols == plan.colsAt[0] && ws.levels.length == plan.bigJ + 1) {
            return ws;
        }
        ws = new Workspace(plan);
        if ((long) ws.rows * ws.cols <= MAX_KEPT_CELLS) {
            WORKSPACES.set(ws);
        }
        return ws;
    }

    /** Buffers of one resolution: spectra are (cols x rows) arrays of rows, spatial grids (rows x cols). */
    private static final class Level {
        /** periodised product (inverse FFT input) and spatial result. */
        final double[][] pRe;
        final double[][] pIm;
        final double[][] qRe;
        final double[][] qIm;
        /** moduli of a pair (forward FFT input) and their packed spectrum; null at resolution J. */
        final double[][] mRe;
        final double[][] mIm;
        double[][] nRe; // swapped with the workspace's xaRe for a lone channel
        double[][] nIm;
        /** the pair's spectra, separated; only below resolution J - 1 (where order 2 starts). */
        final double[][] uaRe;
        final double[][] uaIm;
        final double[][] ubRe;
        final double[][] ubIm;

        Level(int rows, int cols, boolean pairs, boolean separate) {
            pRe = new double[cols][rows];
            pIm = new double[cols][rows];
            qRe = new double[rows][cols];
            qIm = new double[rows][cols];
            mRe = pairs ? new double[rows][cols] : null;
            mIm = pairs ? new double[rows][cols] : null;
            nRe = pairs ? new double[cols][rows] : null;
            nIm = pairs ? new double[cols][rows] : null;
            uaRe = separate ? new double[cols][rows] : null;
            uaIm = separate ? new double[cols][rows] : null;
            ubRe = separate ? new double[cols][rows] : null;
            ubIm = separate ? new double[cols][rows] : null;
        }
    }

    private static final class Workspace {
        final int rows;
        final int cols;
        final Level[] levels;
        /** the two input channels' spectra at resolution 0. */
        double[][] xaRe;
        double[][] xaIm;
        final double[][] xbRe;
        final double[][] xbIm;

        Workspace(ScatteringPlan plan) {
            rows = plan.rowsAt[0];
            cols = plan.colsAt[0];
            int bigJ = plan.bigJ;
            levels = new Level[bigJ + 1];
            for (int r = 0; r <= bigJ; r++) {
                levels[r] = new Level(plan.rowsAt[r], plan.colsAt[r], r < bigJ, r + 1 < bigJ);
            }
            xaRe = new double[cols][rows];
            xaIm = new double[cols][rows];
            xbRe = new double[cols][rows];
            xbIm = new double[cols][rows];
        }
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("j", bigJ);
        p.put("l", bigL);
        p.put("max-order", 2);
        p.put("channels-per-input", channelsPerInput());
        p.put("wavelet", "Kymatio Morlet: sigma 0.8*2^j, xi 3pi/4/2^j, slant 4/L; phi sigma 0.8*2^(J-1)");
        p.put("input", "pixel/255 per colour channel");
        p.put("padding", "reflect to next power of two >= side + 2*2^J, image at a multiple of 2^J");
        p.put("layout", "[channel][order0, order1 (j1,t1), order2 (j1,t1,j2,t2; j2>j1)][row/2^J][column/2^J]");
        return Collections.unmodifiableMap(p);
    }
}
