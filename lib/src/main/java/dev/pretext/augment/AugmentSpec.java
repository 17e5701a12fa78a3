package dev.pretext.augment;

import dev.pretext.UserError;

import java.io.Serializable;

/**
 * The SimCLR augmentation recipe: which random transforms are drawn and from which ranges.
 * Semantics follow torchvision's {@code RandomResizedCrop -> RandomHorizontalFlip ->
 * RandomApply(ColorJitter) -> RandomGrayscale -> RandomApply(GaussianBlur)} pipeline.
 *
 * <p>Error messages name the config key ({@code augment.*}) so a bad config points at itself.
 *
 * @param outputHeight output rows; 0 = the input image's height
 * @param outputWidth  output columns; 0 = the input image's width
 * @param cropScaleMin smallest crop area as a fraction of the image area (torchvision scale[0])
 * @param cropScaleMax largest crop area fraction (scale[1])
 * @param cropRatioMin smallest crop aspect ratio w/h (ratio[0])
 * @param cropRatioMax largest crop aspect ratio w/h (ratio[1])
 * @param flipP        probability of a horizontal flip
 * @param jitterP      probability that colour jitter is applied at all
 * @param brightness   brightness factor drawn from [max(0, 1-b), 1+b]
 * @param contrast     contrast factor drawn from [max(0, 1-c), 1+c]
 * @param saturation   saturation factor drawn from [max(0, 1-s), 1+s]
 * @param hue          hue shift drawn from [-hue, hue], at most 0.5
 * @param grayscaleP   probability of converting to (3-channel) grayscale
 * @param blurP        probability of a Gaussian blur
 * @param blurSigmaMin smallest blur sigma in pixels
 * @param blurSigmaMax largest blur sigma in pixels
 * @param blurKernel   odd kernel size; 0 = about 10% of the smaller output side, made odd
 */
public record AugmentSpec(int outputHeight, int outputWidth,
                          double cropScaleMin, double cropScaleMax,
                          double cropRatioMin, double cropRatioMax,
                          double flipP, double jitterP,
                          double brightness, double contrast, double saturation, double hue,
                          double grayscaleP,
                          double blurP, double blurSigmaMin, double blurSigmaMax, int blurKernel)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public AugmentSpec {
        nonNegative("augment.output-height", outputHeight);
        nonNegative("augment.output-width", outputWidth);
        if ((outputHeight == 0) != (outputWidth == 0)) {
            throw new UserError("augment.output-height and augment.output-width must both be 0 (same as input) or both > 0, got "
                    + outputHeight + " and " + outputWidth);
        }
        if (!(cropScaleMin > 0 && cropScaleMin <= cropScaleMax && cropScaleMax <= 1)) {
            throw new UserError("augment.crop-scale-min/max must satisfy 0 < min <= max <= 1, got "
                    + cropScaleMin + " and " + cropScaleMax);
        }
        if (!(cropRatioMin > 0 && cropRatioMin <= cropRatioMax && Double.isFinite(cropRatioMax))) {
            throw new UserError("augment.crop-ratio-min/max must satisfy 0 < min <= max (finite), got "
                    + cropRatioMin + " and " + cropRatioMax);
        }
        probability("augment.flip-p", flipP);
        probability("augment.jitter-p", jitterP);
        probability("augment.grayscale-p", grayscaleP);
        probability("augment.blur-p", blurP);
        inRange("augment.brightness", brightness, 0, 1e6);
        inRange("augment.contrast", contrast, 0, 1e6);
        inRange("augment.saturation", saturation, 0, 1e6);
        inRange("augment.hue", hue, 0, 0.5);
        if (!(blurSigmaMin > 0 && blurSigmaMin <= blurSigmaMax && Double.isFinite(blurSigmaMax))) {
            throw new UserError("augment.blur-sigma-min/max must satisfy 0 < min <= max (finite), got "
                    + blurSigmaMin + " and " + blurSigmaMax);
        }
        if (blurKernel < 0 || (blurKernel > 0 && blurKernel % 2 == 0)) {
            throw new UserError("augment.blur-kernel must be 0 (auto: ~10% of the image side) or an odd number >= 1, got "
                    + blurKernel);
        }
    }

    /**
     * SimCLR's recipe for square images of side {@code imageSize}, output the same size as the
     * input. Blur is off for images of 32 pixels or less (SimCLR's CIFAR setting) and on with
     * p = 0.5 above that (e.g. STL-10 at 96).
     */
    public static AugmentSpec simclr(int imageSize) {
        if (imageSize < 1) {
            throw new UserError("image size must be >= 1, got " + imageSize);
        }
        return new AugmentSpec(0, 0, 0.2, 1.0, 3.0 / 4.0, 4.0 / 3.0, 0.5, 0.8,
                0.4, 0.4, 0.4, 0.1, 0.2, imageSize <= 32 ? 0.0 : 0.5, 0.1, 2.0, 0);
    }

    /** SimCLR's CIFAR-10/100 setting (32x32, no blur). */
    public static AugmentSpec cifar() {
        return simclr(32);
    }

    /** SimCLR's STL-10 setting (96x96, blur p = 0.5). */
    public static AugmentSpec stl10() {
        return simclr(96);
    }

    public AugmentSpec withOutputSize(int height, int width) {
        return new AugmentSpec(height, width, cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipP, jitterP,
                brightness, contrast, saturation, hue, grayscaleP, blurP, blurSigmaMin, blurSigmaMax, blurKernel);
    }

    public AugmentSpec withCropScale(double min, double max) {
        return new AugmentSpec(outputHeight, outputWidth, min, max, cropRatioMin, cropRatioMax, flipP, jitterP,
                brightness, contrast, saturation, hue, grayscaleP, blurP, blurSigmaMin, blurSigmaMax, blurKernel);
    }

    public AugmentSpec withProbabilities(double flipP, double jitterP, double grayscaleP, double blurP) {
        return new AugmentSpec(outputHeight, outputWidth, cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipP,
                jitterP, brightness, contrast, saturation, hue, grayscaleP, blurP, blurSigmaMin, blurSigmaMax, blurKernel);
    }

    public AugmentSpec withJitter(double brightness, double contrast, double saturation, double hue) {
        return new AugmentSpec(outputHeight, outputWidth, cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipP,
                jitterP, brightness, contrast, saturation, hue, grayscaleP, blurP, blurSigmaMin, blurSigmaMax, blurKernel);
    }

    public AugmentSpec withBlur(double p, double sigmaMin, double sigmaMax, int kernel) {
        return new AugmentSpec(outputHeight, outputWidth, cropScaleMin, cropScaleMax, cropRatioMin, cropRatioMax, flipP,
                jitterP, brightness, contrast, saturation, hue, grayscaleP, p, sigmaMin, sigmaMax, kernel);
    }

    /** Output rows for an input of {@code inputHeight} rows. */
    public int outputHeightFor(int inputHeight) {
        return outputHeight == 0 ? inputHeight : outputHeight;
    }

    /** Output columns for an input of {@code inputWidth} columns. */
    public int outputWidthFor(int inputWidth) {
        return outputWidth == 0 ? inputWidth : outputWidth;
    }

    /**
     * Blur kernel size for an output of the given size: the configured one, or SimCLR's
     * {@code int(0.1 * side)} forced odd (radius * 2 + 1), as in the reference implementations.
     */
    public int blurKernelFor(int outHeight, int outWidth) {
        if (blurKernel > 0) {
            return blurKernel;
        }
        int k = (int) (0.1 * Math.min(outHeight, outWidth));
        return (k / 2) * 2 + 1;
    }

    private static void nonNegative(String key, int v) {
        if (v < 0) {
            throw new UserError(key + " must be >= 0 (0 = same as input), got " + v);
        }
    }

    private static void probability(String key, double p) {
        inRange(key, p, 0, 1);
    }

    private static void inRange(String key, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new UserError(key + " must be in [" + lo + ", " + hi + "], got " + v);
        }
    }
}
