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
 *
 * <p>Last, the view is turned by {@link #quarterTurns} x 90 degrees counter-clockwise ({@link
 * View#rotated}: an exact pixel permutation, as numpy's {@code rot90} and the rotation pretext task's
 * reference code), drawn from the same seed as the unturned recipe: {@code withQuarterTurns(q).view(img,
 * seed)} is {@code view(img, seed)} turned q times. A quarter or three-quarter turn needs a square view
 * (a batch holds one size); a non-square one is refused, naming {@code augment.output-height/width}.
 * Recipes made by the constructors without {@code quarterTurns} do not turn (0), as before.
 */
public record ViewRecipe(AugmentSpec spec, double solarizeP, boolean original, int quarterTurns)
        implements Serializable {
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
        if (quarterTurns < 0 || quarterTurns > 3) {
            throw new IllegalArgumentException("quarter turns must be 0, 1, 2 or 3, got " + quarterTurns);
        }
    }

    public ViewRecipe(AugmentSpec spec, double solarizeP, boolean original) {
        this(spec, solarizeP, original, 0);
    }

    public ViewRecipe(AugmentSpec spec, double solarizeP) {
        this(spec, solarizeP, false);
    }

    /**
     * This recipe, its view then turned {@code quarterTurns} x 90 degrees counter-clockwise (any integer;
     * taken modulo 4, so 4 is the identity and -1 is a clockwise quarter turn).
     */
    public ViewRecipe withQuarterTurns(int quarterTurns) {
        return new ViewRecipe(spec, solarizeP, original, Math.floorMod(quarterTurns, 4));
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
        View v = unturned(image, seed);
        if (quarterTurns % 2 == 1 && v.height() != v.width()) {
            throw new UserError("image " + image.id() + " gives a " + v.height() + "x" + v.width() + " view, which a"
                    + " quarter turn would make " + v.width() + "x" + v.height() + ": rotated views must be square;"
                    + " set augment.output-height and augment.output-width to one size");
        }
        return v.rotated(quarterTurns);
    }

    private View unturned(ImageRecord image, long seed) {
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
