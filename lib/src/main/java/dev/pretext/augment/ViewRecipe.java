package dev.pretext.augment;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * How one view of an image is made: the SimCLR augmentation of {@link #spec} and then, with
 * probability {@link #solarizeP}, solarisation (torchvision's {@code RandomSolarize(threshold=128)}:
 * every byte {@code >= 128} becomes {@code 255 - x}), as BYOL's asymmetric recipe needs (view 1:
 * blur 1.0, solarize 0; view 2: blur 0.1, solarize 0.2). A pure function of (image, seed) like
 * {@link SimClrAugment}; the solarisation draw uses a generator of its own, so a recipe with
 * {@code solarizeP = 0} gives exactly the pixels of {@link SimClrAugment#view}. An {@link #original}
 * recipe ignores the seed: the whole image, resized to the output size (MV-MR's non-augmented view).
 */
public record ViewRecipe(AugmentSpec spec, double solarizeP, boolean original) implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final long SOLARIZE_STREAM = 0x5DEECE66DL;
    static final int THRESHOLD = 128;

    public ViewRecipe {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        if (!(solarizeP >= 0 && solarizeP <= 1)) {
            throw new UserError("solarize probability must be in [0, 1], got " + solarizeP);
        }
    }

    public ViewRecipe(AugmentSpec spec, double solarizeP) {
        this(spec, solarizeP, false);
    }

    public static ViewRecipe of(AugmentSpec spec) {
        return new ViewRecipe(spec, 0.0);
    }

    /**
     * The non-augmented image (MV-MR's x): the whole image resized to {@code spec}'s output size,
     * no flip, colour change or blur, whatever the seed.
     */
    public static ViewRecipe original(AugmentSpec spec) {
        return new ViewRecipe(spec, 0.0, true);
    }

    /** The view for {@code seed}. */
    public View view(ImageRecord image, long seed) {
        if (original) {
            ImageRecord raw = image.toRaw();
            return new SimClrAugment(spec).apply(raw, AugmentParams.cropOnly(0, 0, raw.width(), raw.height()));
        }
        View v = new SimClrAugment(spec).view(image, seed);
        if (solarizeP > 0 && new SplittableRandom(seed ^ SOLARIZE_STREAM).nextDouble() < solarizeP) {
            byte[] px = v.pixels().clone();
            for (int i = 0; i < px.length; i++) {
                int x = px[i] & 0xFF;
                if (x >= THRESHOLD) {
                    px[i] = (byte) (255 - x);
                }
            }
            return new View(v.params(), v.height(), v.width(), v.channels(), px);
        }
        return v;
    }
}
