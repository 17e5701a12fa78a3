package dev.pretext.augment;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The SimCLR augmentation as a pure function of (image, seed): {@link #view} draws the parameters
 * from a {@link SplittableRandom} seeded with the seed alone, then applies them. The same image
 * and seed give bit-identical parameters and pixels on any thread, executor or JVM, which is what
 * lets materialised views and on-the-fly augmentation agree.
 *
 * <p>Why bit-identical holds: only {@code SplittableRandom(long)} and {@code nextLong()} are used
 * (their algorithm is fixed by the JDK specification), transcendental functions go through
 * {@link StrictMath}, and Java float arithmetic is IEEE-exact without contraction.
 *
 * <p>Each op draws from its own sub-generator (seeded from the root in a fixed order), so turning
 * one op's probability up or down never changes what another op draws for the same seed.
 */
public final class SimClrAugment implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int CROP_ATTEMPTS = 10;
    private static final double TWO_POW_53 = 0x1.0p-53;

    private final AugmentSpec spec;

    public SimClrAugment(AugmentSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        this.spec = spec;
    }

    public AugmentSpec spec() {
        return spec;
    }

    /** Draws the parameters for {@code seed} and applies them: the augmentation. PNG/JPEG rows are decoded first. */
    public View view(ImageRecord image, long seed) {
        image = image == null ? null : image.toRaw();
        check(image);
        return apply(image, sample(image.height(), image.width(), seed));
    }

    /**
     * The parameters {@link #view} would draw for an image of the given size and this seed
     * (parameters do not depend on pixel values).
     */
    public AugmentParams sample(int height, int width, long seed) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("image size must be >= 1x1, got " + width + "x" + height);
        }
        SplittableRandom root = new SplittableRandom(seed);
        SplittableRandom cropRng = new SplittableRandom(root.nextLong());
        SplittableRandom flipRng = new SplittableRandom(root.nextLong());
        SplittableRandom jitterRng = new SplittableRandom(root.nextLong());
        SplittableRandom grayRng = new SplittableRandom(root.nextLong());
        SplittableRandom blurRng = new SplittableRandom(root.nextLong());

        int[] box = cropBox(cropRng, height, width);
        boolean flip = unit(flipRng) < spec.flipP();

        boolean jitter = unit(jitterRng) < spec.jitterP();
        double b = 1, c = 1, s = 1, h = 0;
        String order = "";
        if (jitter) {
            // torchvision: fn_idx = randperm(4), then the factors in b, c, s, h order.
            char[] ops = {'B', 'C', 'S', 'H'};
            for (int i = ops.length - 1; i > 0; i--) {
                int j = below(jitterRng, i + 1);
                char t = ops[i];
                ops[i] = ops[j];
                ops[j] = t;
            }
            order = new String(ops);
            b = factor(jitterRng, spec.brightness());
            c = factor(jitterRng, spec.contrast());
            s = factor(jitterRng, spec.saturation());
            h = spec.hue() > 0 ? uniform(jitterRng, -spec.hue(), spec.hue()) : 0.0;
        }
        boolean gray = unit(grayRng) < spec.grayscaleP();
        double sigma = 0;
        int kernel = 0;
        if (unit(blurRng) < spec.blurP()) {
            sigma = uniform(blurRng, spec.blurSigmaMin(), spec.blurSigmaMax());
            kernel = spec.blurKernelFor(spec.outputHeightFor(height), spec.outputWidthFor(width));
        }
        return new AugmentParams(box[0], box[1], box[2], box[3], flip, jitter, b, c, s, h, order, gray, sigma, kernel);
    }

    /** Applies given parameters to an image: crop + resize (+ flip), jitter, grayscale, blur. */
    public View apply(ImageRecord image, AugmentParams p) {
        image = image == null ? null : image.toRaw();
        check(image);
        int ch = image.channels();
        int outH = spec.outputHeightFor(image.height());
        int outW = spec.outputWidthFor(image.width());
        int plane = outH * outW;
        float[] buf = new float[ch * plane];
        CropResize.apply(image.data(), image.height(), image.width(), ch,
                p.cropX(), p.cropY(), p.cropW(), p.cropH(), outH, outW, p.flip(), buf);
        if (p.jitter()) {
            String order = p.jitterOrder();
            for (int i = 0; i < order.length(); i++) {
                switch (order.charAt(i)) {
                    case 'B' -> ColorOps.brightness(buf, plane, ch, (float) p.brightness());
                    case 'C' -> ColorOps.contrast(buf, plane, ch, (float) p.contrast());
                    case 'S' -> ColorOps.saturation(buf, plane, ch, (float) p.saturation());
                    case 'H' -> ColorOps.hue(buf, plane, ch, (float) p.hue());
                    default -> throw new IllegalStateException("unreachable: validated jitter order " + order);
                }
            }
        }
        if (p.grayscale()) {
            ColorOps.grayscale(buf, plane, ch);
        }
        if (p.blurSigma() > 0 && p.blurKernel() > 1) {
            GaussianBlur.apply(buf, ch, outH, outW, GaussianBlur.kernel(p.blurKernel(), p.blurSigma()));
        }
        return new View(p, outH, outW, ch, toBytesHwc(buf, plane, ch));
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: up to 10 tries of a random area fraction
     * and log-uniform aspect ratio, else a centre crop clipped to the ratio range.
     *
     * @return {x, y, w, h}
     */
    private int[] cropBox(SplittableRandom rng, int height, int width) {
        double area = (double) height * width;
        double logMin = StrictMath.log(spec.cropRatioMin());
        double logMax = StrictMath.log(spec.cropRatioMax());
        for (int attempt = 0; attempt < CROP_ATTEMPTS; attempt++) {
            double target = area * uniform(rng, spec.cropScaleMin(), spec.cropScaleMax());
            double ratio = StrictMath.exp(uniform(rng, logMin, logMax));
            // Math.rint rounds half to even, like Python's round().
            int w = (int) Math.rint(StrictMath.sqrt(target * ratio));
            int h = (int) Math.rint(StrictMath.sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int y = below(rng, height - h + 1);
                int x = below(rng, width - w + 1);
                return new int[]{x, y, w, h};
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < spec.cropRatioMin()) {
            w = width;
            h = (int) Math.rint(w / spec.cropRatioMin());
        } else if (inRatio > spec.cropRatioMax()) {
            h = height;
            w = (int) Math.rint(h * spec.cropRatioMax());
        } else {
            w = width;
            h = height;
        }
        return new int[]{(width - w) / 2, (height - h) / 2, w, h};
    }

    private static byte[] toBytesHwc(float[] buf, int plane, int channels) {
        byte[] out = new byte[plane * channels];
        for (int c = 0; c < channels; c++) {
            int base = c * plane;
            for (int i = 0, o = c; i < plane; i++, o += channels) {
                float v = buf[base + i];
                v = v < 0f ? 0f : (v > 1f ? 1f : v);
                out[o] = (byte) (int) (v * 255f + 0.5f);
            }
        }
        return out;
    }

    static void check(ImageRecord image) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        if (!ImageRecord.RAW.equals(image.encoding())) {
            throw new UserError("image " + image.id() + ": encoding '" + image.encoding()
                    + "' cannot be augmented; expected 'raw' (uint8 HWC)");
        }
        if (image.channels() != 1 && image.channels() != 3) {
            throw new UserError("image " + image.id() + ": " + image.channels() + " channels; expected 1 or 3");
        }
        if (image.height() < 1 || image.width() < 1) {
            throw new UserError("image " + image.id() + ": size " + image.width() + "x" + image.height()
                    + "; expected at least 1x1");
        }
        long expected = (long) image.height() * image.width() * image.channels();
        if (image.data() == null || image.data().length != expected) {
            throw new UserError("image " + image.id() + ": data has " + (image.data() == null ? "no" : image.data().length)
                    + " bytes; expected height*width*channels = " + expected);
        }
    }

    /** Uniform in [0, 1) from the top 53 bits of one nextLong(). */
    private static double unit(SplittableRandom rng) {
        return (rng.nextLong() >>> 11) * TWO_POW_53;
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * unit(rng);
    }

    /** Uniform integer in [0, n): multiply-shift on 32 random bits (bias below n / 2^32). */
    private static int below(SplittableRandom rng, int n) {
        return (int) (((rng.nextLong() >>> 32) * n) >>> 32);
    }

    /** A jitter factor from [max(0, 1 - amount), 1 + amount]; 1 when the op is off. */
    private static double factor(SplittableRandom rng, double amount) {
        return amount > 0 ? uniform(rng, Math.max(0.0, 1.0 - amount), 1.0 + amount) : 1.0;
    }
}
