package dev.pretext.synth;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws one procedural image: a class shape (or textured patch) with nuisance variation, as raw
 * uint8 HWC RGB. The class is the shape; position, scale, rotation, colours, background gradient,
 * clutter and pixel noise are drawn from the seed, so that pixels alone are a weak cue (the same
 * class looks different every time) while a small convnet learns the shapes easily.
 *
 * <p>A {@code style} (0..9) fixes how the shape is filled: {@code style / 5} picks a hue family
 * (warm, cool) and {@code style % 5} a fill pattern (solid, split, core, speckle, gradient). The
 * 100 CIFAR-100 classes are shape x style; 10-class datasets draw the style at random.
 *
 * <p>Rendering is a pure function of (class, style, seed, size) and uses {@link StrictMath} and
 * our own Gaussian draws, so that files are byte-identical on every JVM.
 */
public final class SynthRenderer {
    public static final List<String> SHAPE_NAMES = List.of("disc", "ring", "square", "triangle", "cross", "stripes",
            "checker", "star", "crescent", "dots");
    public static final List<String> PATTERN_NAMES = List.of("solid", "split", "core", "speckle", "gradient");
    public static final List<String> HUE_NAMES = List.of("warm", "cool");
    public static final int SHAPES = SHAPE_NAMES.size();
    public static final int STYLES = PATTERN_NAMES.size() * HUE_NAMES.size();
    /** Draw the style from the seed (10-class datasets). */
    public static final int RANDOM_STYLE = -1;

    private static final double TAU = 2 * Math.PI;
    private static final double[] TRIANGLE_NX = new double[3];
    private static final double[] TRIANGLE_NY = new double[3];

    static {
        for (int k = 0; k < 3; k++) {
            double a = -Math.PI / 2 + k * TAU / 3;
            TRIANGLE_NX[k] = StrictMath.cos(a);
            TRIANGLE_NY[k] = StrictMath.sin(a);
        }
    }
    private final int size;

    public SynthRenderer(int size) {
        if (size < 8 || size > 4096) {
            throw new IllegalArgumentException("image size " + size + " is outside 8..4096");
        }
        this.size = size;
    }

    public int size() {
        return size;
    }

    /** Name of style {@code s}, e.g. {@code warm-solid}. */
    public static String styleName(int s) {
        return HUE_NAMES.get(s / PATTERN_NAMES.size()) + "-" + PATTERN_NAMES.get(s % PATTERN_NAMES.size());
    }

    /** An image of shape class {@code shape} (0..9) with a random style. */
    public byte[] render(int shape, long seed) {
        return render(shape, RANDOM_STYLE, seed);
    }

    /**
     * @param shape 0..9, see {@link #SHAPE_NAMES}
     * @param style 0..9, or {@link #RANDOM_STYLE}
     * @return size x size x 3 bytes, HWC row-major RGB
     */
    public byte[] render(int shape, int style, long seed) {
        if (shape < 0 || shape >= SHAPES) {
            throw new IllegalArgumentException("shape " + shape + " outside 0.." + (SHAPES - 1));
        }
        if (style < RANDOM_STYLE || style >= STYLES) {
            throw new IllegalArgumentException("style " + style + " outside 0.." + (STYLES - 1) + " or -1");
        }
        SplittableRandom r = new SplittableRandom(seed);
        int s = size;
        double[] img = new double[s * s * 3];

        boolean warm;
        int pattern;
        double hue;
        if (style == RANDOM_STYLE) {
            hue = r.nextDouble() * 360;
            warm = true; // unused when the hue is drawn freely
            pattern = r.nextDouble() < 0.6 ? 0 : 1 + r.nextInt(PATTERN_NAMES.size() - 1);
        } else {
            warm = style / PATTERN_NAMES.size() == 0;
            pattern = style % PATTERN_NAMES.size();
            hue = warm ? -30 + r.nextDouble() * 80 : 170 + r.nextDouble() * 80;
        }
        double[] fg1 = hsv(hue, 0.5 + 0.5 * r.nextDouble(), 0.55 + 0.45 * r.nextDouble());
        double[] fg2 = hsv(hue + 35 + r.nextDouble() * 30, 0.4 + 0.6 * r.nextDouble(), 0.25 + 0.35 * r.nextDouble());

        // background: a desaturated two-colour gradient, far enough in luminance from the shape
        double bgHue = r.nextDouble() * 360;
        double bgSat = 0.4 * r.nextDouble();
        double[] bgA = null;
        for (int tries = 0; tries < 16; tries++) {
            bgA = hsv(bgHue, bgSat, 0.05 + 0.9 * r.nextDouble());
            if (Math.abs(luma(bgA) - luma(fg1)) >= 0.25) {
                break;
            }
        }
        double[] bgB = new double[3];
        for (int c = 0; c < 3; c++) {
            bgB[c] = clamp01(bgA[c] + (r.nextDouble() - 0.5) * 0.4);
        }
        double ga = r.nextDouble() * TAU;
        double gx = StrictMath.cos(ga);
        double gy = StrictMath.sin(ga);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                double t = clamp01(((x + 0.5) / s - 0.5) * gx + ((y + 0.5) / s - 0.5) * gy + 0.5);
                int o = (y * s + x) * 3;
                for (int c = 0; c < 3; c++) {
                    img[o + c] = bgA[c] + (bgB[c] - bgA[c]) * t;
                }
            }
        }

        int clutter = r.nextInt(4);
        for (int k = 0; k < clutter; k++) {
            drawClutter(img, r);
        }

        double cx = s * (0.5 + (r.nextDouble() - 0.5) * 0.3);
        double cy = s * (0.5 + (r.nextDouble() - 0.5) * 0.3);
        double radius = s * (0.22 + 0.14 * r.nextDouble());
        double angle = r.nextDouble() * TAU;
        long speckleSeed = r.nextLong();
        drawShape(img, shape, pattern, fg1, fg2, cx, cy, radius, angle, speckleSeed);

        if (r.nextDouble() < 0.3) {
            drawLine(img, r, 0.015 + 0.02 * r.nextDouble());
        }

        double sigma = r.nextDouble() * 10 / 255.0;
        byte[] out = new byte[img.length];
        for (int i = 0; i < img.length; i++) {
            double v = img[i] + sigma * gaussian(r);
            out[i] = (byte) (int) StrictMath.round(clamp01(v) * 255);
        }
        return out;
    }

    private void drawShape(double[] img, int shape, int pattern, double[] fg1, double[] fg2, double cx, double cy,
                           double radius, double angle, long speckleSeed) {
        int s = size;
        double cos = StrictMath.cos(-angle);
        double sin = StrictMath.sin(-angle);
        double reach = radius * 1.1;
        int x0 = Math.max(0, (int) Math.floor(cx - reach));
        int x1 = Math.min(s - 1, (int) Math.ceil(cx + reach));
        int y0 = Math.max(0, (int) Math.floor(cy - reach));
        int y1 = Math.min(s - 1, (int) Math.ceil(cy + reach));
        double[] col = new double[3];
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                // 2x2 supersampling: edges stay smooth at 32 px
                double sr = 0, sg = 0, sb = 0;
                int hits = 0;
                for (int sy = 0; sy < 2; sy++) {
                    for (int sx = 0; sx < 2; sx++) {
                        double dx = x + 0.25 + 0.5 * sx - cx;
                        double dy = y + 0.25 + 0.5 * sy - cy;
                        double u = (dx * cos - dy * sin) / radius;
                        double v = (dx * sin + dy * cos) / radius;
                        if (inside(shape, u, v)) {
                            fill(pattern, u, v, fg1, fg2, speckleSeed, col);
                            sr += col[0];
                            sg += col[1];
                            sb += col[2];
                            hits++;
                        }
                    }
                }
                if (hits > 0) {
                    int o = (y * s + x) * 3;
                    double keep = (4 - hits) / 4.0;
                    img[o] = img[o] * keep + sr / 4;
                    img[o + 1] = img[o + 1] * keep + sg / 4;
                    img[o + 2] = img[o + 2] * keep + sb / 4;
                }
            }
        }
    }

    /** Shape membership in shape coordinates: unit radius, centred, rotated. */
    static boolean inside(int shape, double u, double v) {
        double r2 = u * u + v * v;
        switch (shape) {
            case 0: // disc
                return r2 <= 0.9 * 0.9;
            case 1: // ring
                return r2 <= 1 && r2 >= 0.55 * 0.55;
            case 2: // square
                return Math.abs(u) <= 0.75 && Math.abs(v) <= 0.75;
            case 3: { // equilateral triangle, circumradius 1 (inradius 0.5)
                for (int k = 0; k < 3; k++) {
                    if (u * TRIANGLE_NX[k] + v * TRIANGLE_NY[k] > 0.5) {
                        return false;
                    }
                }
                return true;
            }
            case 4: // plus-shaped cross
                return (Math.abs(u) <= 0.28 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.28 && Math.abs(u) <= 1);
            case 5: // disc of stripes, period 0.6
                return r2 <= 1 && Math.floorMod((long) Math.floor(u / 0.3), 2L) == 0;
            case 6: { // 4x4 checkerboard patch
                if (Math.abs(u) > 0.8 || Math.abs(v) > 0.8) {
                    return false;
                }
                long i = (long) Math.floor((u + 0.8) / 0.4);
                long j = (long) Math.floor((v + 0.8) / 0.4);
                return ((i + j) & 1) == 0;
            }
            case 7: { // five-pointed star
                double rr = Math.sqrt(r2);
                if (rr > 1) {
                    return false;
                }
                double sector = TAU / 5;
                double a = StrictMath.atan2(v, u) + Math.PI / 2;
                double t = Math.abs((((a % sector) + sector) % sector) / sector - 0.5) * 2; // 1 at a tip, 0 between
                return rr <= 0.42 + 0.58 * t;
            }
            case 8: { // crescent: a disc with an offset disc bitten out
                double du = u - 0.45;
                return r2 <= 1 && du * du + v * v > 0.8 * 0.8;
            }
            case 9: { // 3x3 grid of dots
                for (double gy = -0.62; gy <= 0.63; gy += 0.62) {
                    for (double gx = -0.62; gx <= 0.63; gx += 0.62) {
                        double du = u - gx;
                        double dv = v - gy;
                        if (du * du + dv * dv <= 0.24 * 0.24) {
                            return true;
                        }
                    }
                }
                return false;
            }
            default:
                throw new IllegalArgumentException("shape " + shape);
        }
    }

    private static void fill(int pattern, double u, double v, double[] fg1, double[] fg2, long speckleSeed, double[] out) {
        double t;
        switch (pattern) {
            case 0 -> t = 0;
            case 1 -> t = u < 0 ? 0 : 1;
            case 2 -> t = u * u + v * v < 0.45 * 0.45 ? 1 : 0;
            case 3 -> {
                long h = mix(speckleSeed ^ ((long) Math.floor(u * 5) * 0x9E3779B97F4A7C15L)
                        ^ ((long) Math.floor(v * 5) * 0xC2B2AE3D27D4EB4FL));
                t = (h & 1) == 0 ? 0 : 1;
            }
            default -> t = clamp01((u + 1) / 2);
        }
        for (int c = 0; c < 3; c++) {
            out[c] = fg1[c] + (fg2[c] - fg1[c]) * t;
        }
    }

    private void drawClutter(double[] img, SplittableRandom r) {
        if (r.nextBoolean()) {
            drawLine(img, r, 0.02 + 0.03 * r.nextDouble());
        } else {
            double[] c = hsv(r.nextDouble() * 360, r.nextDouble(), r.nextDouble());
            double bx = r.nextDouble() * size;
            double by = r.nextDouble() * size;
            double br = size * (0.03 + 0.05 * r.nextDouble());
            for (int y = Math.max(0, (int) (by - br)); y <= Math.min(size - 1, (int) (by + br)); y++) {
                for (int x = Math.max(0, (int) (bx - br)); x <= Math.min(size - 1, (int) (bx + br)); x++) {
                    double dx = x + 0.5 - bx;
                    double dy = y + 0.5 - by;
                    if (dx * dx + dy * dy <= br * br) {
                        set(img, x, y, c);
                    }
                }
            }
        }
    }

    /** A random straight segment, {@code width} as a fraction of the image side. */
    private void drawLine(double[] img, SplittableRandom r, double width) {
        double[] c = hsv(r.nextDouble() * 360, r.nextDouble(), r.nextDouble());
        double ax = r.nextDouble() * size;
        double ay = r.nextDouble() * size;
        double bx = r.nextDouble() * size;
        double by = r.nextDouble() * size;
        double half = Math.max(0.5, width * size / 2);
        double lx = bx - ax;
        double ly = by - ay;
        double len2 = Math.max(1e-9, lx * lx + ly * ly);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double px = x + 0.5 - ax;
                double py = y + 0.5 - ay;
                double t = clamp01((px * lx + py * ly) / len2);
                double dx = px - t * lx;
                double dy = py - t * ly;
                if (dx * dx + dy * dy <= half * half) {
                    set(img, x, y, c);
                }
            }
        }
    }

    private void set(double[] img, int x, int y, double[] c) {
        int o = (y * size + x) * 3;
        img[o] = c[0];
        img[o + 1] = c[1];
        img[o + 2] = c[2];
    }

    /** Standard normal by Box-Muller on StrictMath, for identical bytes on every JVM. */
    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(TAU * u2);
    }

    /** HSV (hue in degrees, s and v in 0..1) to RGB in 0..1. */
    static double[] hsv(double h, double s, double v) {
        double hh = ((h % 360) + 360) % 360 / 60;
        int i = (int) Math.floor(hh);
        double f = hh - i;
        double p = v * (1 - s);
        double q = v * (1 - s * f);
        double t = v * (1 - s * (1 - f));
        return switch (i) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
    }

    private static double luma(double[] c) {
        return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    }

    private static double clamp01(double v) {
        return v < 0 ? 0 : (v > 1 ? 1 : v);
    }

    /** SplitMix64 finaliser: a well-mixed 64-bit hash. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
