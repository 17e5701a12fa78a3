package dev.pretext.data;

import java.io.Serializable;
import java.util.Locale;

import dev.pretext.UserError;

/**
 * How ingest sizes an image, written as a short string:
 * <ul>
 * <li>{@code keep}: the original size;</li>
 * <li>{@code shorter:S}: scale (aspect kept) so that the shorter side is S, then cut the centre S x S square
 * (torchvision's {@code Resize(S)} + {@code CenterCrop(S)});</li>
 * <li>{@code fixed:S}: scale each axis on its own to S x S, aspect ignored.</li>
 * </ul>
 *
 * <p>Resampling is separable and deterministic (plain double arithmetic, no AWT rendering hints whose result
 * depends on the Java runtime or its pipeline). On an axis that shrinks, each output pixel is the exact area average
 * of the source pixels its footprint covers, fractional coverage included (a box filter, like OpenCV's
 * {@code INTER_AREA}), which is what keeps downscaled photos free of aliasing. On an axis that grows it is bilinear
 * with pixel centres aligned ({@code align_corners=false}). Weights sum to one, so a constant image stays constant,
 * and a same-size axis is copied unchanged.
 */
public final class ResizePolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Largest S accepted. */
    public static final int MAX_SIZE = 16384;

    public enum Mode {
        KEEP, SHORTER, FIXED
    }

    private static final String VALID = "use keep, shorter:S (shorter side to S, then centre crop to S x S) or fixed:S"
            + " (S x S, aspect ignored), with S a whole number from 1 to " + MAX_SIZE;

    private final Mode mode;
    private final int size;

    private ResizePolicy(Mode mode, int size) {
        this.mode = mode;
        this.size = size;
    }

    public static ResizePolicy keep() {
        return new ResizePolicy(Mode.KEEP, 0);
    }

    public static ResizePolicy shorter(int size) {
        return new ResizePolicy(Mode.SHORTER, checkSize(size, "shorter:" + size));
    }

    public static ResizePolicy fixed(int size) {
        return new ResizePolicy(Mode.FIXED, checkSize(size, "fixed:" + size));
    }

    /** Parses {@code keep}, {@code shorter:S} or {@code fixed:S} (case and surrounding blanks ignored). */
    public static ResizePolicy parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("keep")) {
            return keep();
        }
        int colon = s.indexOf(':');
        if (colon > 0) {
            String kind = s.substring(0, colon).trim();
            String number = s.substring(colon + 1).trim();
            if (kind.equals("shorter") || kind.equals("fixed")) {
                int size;
                try {
                    size = Integer.parseInt(number);
                } catch (NumberFormatException e) {
                    throw new UserError("resize policy '" + text + "': '" + number + "' is not a whole number; "
                            + VALID);
                }
                checkSize(size, text);
                return kind.equals("shorter") ? shorter(size) : fixed(size);
            }
        }
        throw new UserError("resize policy '" + text + "' is not valid; " + VALID);
    }

    private static int checkSize(int size, String text) {
        if (size < 1 || size > MAX_SIZE) {
            throw new UserError("resize policy '" + text + "': size " + size + " is out of range; " + VALID);
        }
        return size;
    }

    public Mode mode() {
        return mode;
    }

    /** S, or 0 for {@code keep}. */
    public int size() {
        return size;
    }

    /** The output {height, width} for an input of that size. */
    public int[] outputSize(int height, int width) {
        return mode == Mode.KEEP ? new int[] {height, width} : new int[] {size, size};
    }

    /** The image resized by this policy; {@code keep} returns the same instance. */
    public DecodedImage apply(DecodedImage img) {
        int h = img.height(), w = img.width();
        switch (mode) {
            case KEEP:
                return img;
            case FIXED:
                return resample(img, size, size, 0, 0, size, size);
            default:
                // Scale to a virtual image whose shorter side is S, then take its centre S x S window.
                int vh, vw;
                if (h <= w) {
                    vh = size;
                    vw = Math.max(size, (int) Math.round((double) w * size / h));
                } else {
                    vw = size;
                    vh = Math.max(size, (int) Math.round((double) h * size / w));
                }
                return resample(img, vh, vw, (vh - size) / 2, (vw - size) / 2, size, size);
        }
    }

    /**
     * The window (offY, offX, outH x outW) of the source scaled to vh x vw, computing only the window's pixels:
     * a horizontal pass over the source rows the window needs, then a vertical pass.
     */
    private static DecodedImage resample(DecodedImage img, int vh, int vw, int offY, int offX, int outH, int outW) {
        int h = img.height(), w = img.width();
        Axis ax = new Axis(w, vw, offX, outW);
        Axis ay = new Axis(h, vh, offY, outH);
        int rowLo = ay.start[0];
        int rowHi = ay.start[outH - 1] + ay.weight[outH - 1].length;
        byte[] src = img.rgb();
        int rowLen = outW * 3;
        double[] tmp = new double[(rowHi - rowLo) * rowLen];
        for (int r = rowLo; r < rowHi; r++) {
            int srcRow = r * w * 3;
            int t = (r - rowLo) * rowLen;
            for (int j = 0; j < outW; j++) {
                double[] wt = ax.weight[j];
                int p = srcRow + ax.start[j] * 3;
                double s0 = 0, s1 = 0, s2 = 0;
                for (int k = 0; k < wt.length; k++, p += 3) {
                    s0 += wt[k] * (src[p] & 0xff);
                    s1 += wt[k] * (src[p + 1] & 0xff);
                    s2 += wt[k] * (src[p + 2] & 0xff);
                }
                tmp[t++] = s0;
                tmp[t++] = s1;
                tmp[t++] = s2;
            }
        }
        byte[] out = new byte[outH * rowLen];
        double[] acc = new double[rowLen];
        for (int i = 0; i < outH; i++) {
            java.util.Arrays.fill(acc, 0);
            double[] wt = ay.weight[i];
            for (int k = 0; k < wt.length; k++) {
                int t = (ay.start[i] + k - rowLo) * rowLen;
                double a = wt[k];
                for (int q = 0; q < rowLen; q++) {
                    acc[q] += a * tmp[t + q];
                }
            }
            int o = i * rowLen;
            for (int q = 0; q < rowLen; q++) {
                long v = Math.round(acc[q]);
                out[o + q] = (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
        return new DecodedImage(outH, outW, out);
    }

    /** Per output index of one axis: the first source index it reads and the weights of the source run from there. */
    private static final class Axis {
        final int[] start;
        final double[][] weight;

        Axis(int in, int virtual, int offset, int out) {
            start = new int[out];
            weight = new double[out][];
            double scale = (double) in / virtual;
            for (int j = 0; j < out; j++) {
                int v = j + offset;
                if (scale >= 1) {
                    double lo = v * scale, hi = Math.min(in, (v + 1) * scale);
                    int first = (int) Math.floor(lo);
                    int last = Math.min(in, (int) Math.ceil(hi));
                    double[] wt = new double[Math.max(1, last - first)];
                    double total = 0;
                    for (int k = 0; k < wt.length; k++) {
                        double cover = Math.min(first + k + 1, hi) - Math.max(first + k, lo);
                        wt[k] = Math.max(0, cover);
                        total += wt[k];
                    }
                    for (int k = 0; k < wt.length; k++) {
                        wt[k] /= total;
                    }
                    start[j] = first;
                    weight[j] = wt;
                } else {
                    double c = (v + 0.5) * scale - 0.5;
                    int i0 = (int) Math.floor(c);
                    double f = c - i0;
                    if (i0 < 0) {
                        i0 = 0;
                        f = 0;
                    }
                    if (i0 >= in - 1) {
                        i0 = in - 1;
                        f = 0;
                    }
                    start[j] = i0;
                    weight[j] = f == 0 ? new double[] {1} : new double[] {1 - f, f};
                }
            }
        }
    }

    @Override
    public String toString() {
        return mode == Mode.KEEP ? "keep" : mode.name().toLowerCase(Locale.ROOT) + ":" + size;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResizePolicy p && p.mode == mode && p.size == size;
    }

    @Override
    public int hashCode() {
        return mode.hashCode() * 31 + size;
    }
}
