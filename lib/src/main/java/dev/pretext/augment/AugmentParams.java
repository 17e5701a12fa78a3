package dev.pretext.augment;

import java.io.Serializable;

/**
 * The parameters one augmentation actually drew; with the source image they determine the view's
 * pixels exactly ({@link SimClrAugment#apply}). Ops that were not applied hold their identity
 * values (factors 1, hue 0, order "", sigma 0) so that a row of the views table is self-describing.
 *
 * @param cropX       left column of the crop box in the source image
 * @param cropY       top row of the crop box
 * @param cropW       crop box width in source pixels
 * @param cropH       crop box height
 * @param flip        horizontal flip after crop and resize
 * @param jitter      whether colour jitter was applied
 * @param brightness  brightness factor (1 = unchanged)
 * @param contrast    contrast factor (1 = unchanged)
 * @param saturation  saturation factor (1 = unchanged)
 * @param hue         hue shift in turns, [-0.5, 0.5] (0 = unchanged)
 * @param jitterOrder the order the four jitter ops ran in, as letters of {@code B C S H}
 *                    (brightness, contrast, saturation, hue), e.g. {@code "SBHC"}; "" when not applied
 * @param grayscale   converted to grayscale (luma replicated over the channels)
 * @param blurSigma   Gaussian blur sigma in pixels; 0 = no blur
 * @param blurKernel  Gaussian kernel size (odd); 0 = no blur
 */
public record AugmentParams(int cropX, int cropY, int cropW, int cropH, boolean flip,
                            boolean jitter, double brightness, double contrast, double saturation, double hue,
                            String jitterOrder, boolean grayscale, double blurSigma, int blurKernel)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public AugmentParams {
        if (cropW < 1 || cropH < 1 || cropX < 0 || cropY < 0) {
            throw new IllegalArgumentException("crop box must have x, y >= 0 and w, h >= 1, got x=" + cropX + " y=" + cropY
                    + " w=" + cropW + " h=" + cropH);
        }
        if (jitterOrder == null) {
            throw new IllegalArgumentException("jitterOrder must not be null (use \"\" when jitter is off)");
        }
        if (jitter && !isPermutationOfBcsh(jitterOrder)) {
            throw new IllegalArgumentException("jitterOrder must be a permutation of \"BCSH\" when jitter is on, got \""
                    + jitterOrder + "\"");
        }
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0) || !(Math.abs(hue) <= 0.5)) {
            throw new IllegalArgumentException("jitter factors must be >= 0 and |hue| <= 0.5, got b=" + brightness
                    + " c=" + contrast + " s=" + saturation + " h=" + hue);
        }
        if (!(blurSigma >= 0) || blurKernel < 0 || (blurSigma > 0 && blurKernel % 2 == 0)) {
            throw new IllegalArgumentException("blur needs sigma >= 0 and, when sigma > 0, an odd kernel, got sigma="
                    + blurSigma + " kernel=" + blurKernel);
        }
    }

    /** A crop of the box with every other op at its identity: the plain crop + resize. */
    public static AugmentParams cropOnly(int x, int y, int w, int h) {
        return new AugmentParams(x, y, w, h, false, false, 1, 1, 1, 0, "", false, 0, 0);
    }

    private static boolean isPermutationOfBcsh(String s) {
        if (s.length() != 4) {
            return false;
        }
        int seen = 0;
        for (int i = 0; i < 4; i++) {
            int k = "BCSH".indexOf(s.charAt(i));
            if (k < 0 || (seen & (1 << k)) != 0) {
                return false;
            }
            seen |= 1 << k;
        }
        return true;
    }
}
