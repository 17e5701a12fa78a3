package dev.pretext.describe;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One SimCLR-augmented copy of the image, flattened like {@link FlatImage} (CHW, pixel / 255).
 * The augmentation is {@link SimClrAugment#view} with seed {@code ViewSeeds.seed(seed, id, 0, 0)}:
 * a pure function of (image, id, seed), so the same table is rebuilt bit for bit.
 *
 * <p>With no explicit spec, each image gets {@link AugmentSpec#simclr(int)} for
 * min(height, width) (blur off at 32 px or less, on with p = 0.5 above: SimCLR's CIFAR and STL-10
 * recipes). Pick a base seed other than the training run's: with the same base seed, this view
 * would equal the first training view of epoch 0.
 *
 * <p>Length 3 * outH * outW, the spec's output size (the input size unless the spec fixes one).
 */
public final class AugmentedImage implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "augmented";

    private final AugmentSpec spec;
    private final long seed;

    /**
     * @param spec the augmentation, or null for SimCLR's recipe chosen by image size
     * @param seed base seed of {@link ViewSeeds#seed}
     */
    public AugmentedImage(AugmentSpec spec, long seed) {
        this.spec = spec;
        this.seed = seed;
    }

    @Override
    public String name() {
        return NAME;
    }

    private AugmentSpec specFor(int height, int width) {
        return spec != null ? spec : AugmentSpec.simclr(Math.min(height, width));
    }

    @Override
    public int dimension(int height, int width) {
        if (height < 1 || width < 1) {
            throw RgbPlanes.tooSmall(NAME, null, height, width, "needs at least 1x1");
        }
        AugmentSpec s = specFor(height, width);
        return RgbPlanes.CHANNELS * s.outputHeightFor(height) * s.outputWidthFor(width);
    }

    @Override
    public float[] compute(ImageRecord image) {
        ImageRecord rgb = RgbPlanes.rgb(image, NAME);
        SimClrAugment augment = new SimClrAugment(specFor(rgb.height(), rgb.width()));
        View v = augment.view(rgb, ViewSeeds.seed(seed, rgb.id(), 0, 0));
        int plane = v.height() * v.width();
        byte[] hwc = v.pixels();
        float[] out = new float[RgbPlanes.CHANNELS * plane];
        for (int c = 0; c < RgbPlanes.CHANNELS; c++) {
            for (int i = 0; i < plane; i++) {
                out[c * plane + i] = (hwc[i * RgbPlanes.CHANNELS + c] & 0xff) / 255f;
            }
        }
        return out;
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("seed", seed);
        p.put("view-seed", "ViewSeeds.seed(seed, id, 0, 0)");
        if (spec == null) {
            p.put("spec", "AugmentSpec.simclr(min(height, width))");
        } else {
            p.put("spec", specFields(spec));
        }
        p.put("scale", "pixel/255");
        p.put("layout", "[channel][row][column]");
        return Collections.unmodifiableMap(p);
    }

    /** The spec's fields by config key, so the manifest shows the recipe rather than a class name. */
    static Map<String, Object> specFields(AugmentSpec s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output-height", s.outputHeight());
        m.put("output-width", s.outputWidth());
        m.put("crop-scale-min", s.cropScaleMin());
        m.put("crop-scale-max", s.cropScaleMax());
        m.put("crop-ratio-min", s.cropRatioMin());
        m.put("crop-ratio-max", s.cropRatioMax());
        m.put("flip-p", s.flipP());
        m.put("jitter-p", s.jitterP());
        m.put("brightness", s.brightness());
        m.put("contrast", s.contrast());
        m.put("saturation", s.saturation());
        m.put("hue", s.hue());
        m.put("grayscale-p", s.grayscaleP());
        m.put("blur-p", s.blurP());
        m.put("blur-sigma-min", s.blurSigmaMin());
        m.put("blur-sigma-max", s.blurSigmaMax());
        m.put("blur-kernel", s.blurKernel());
        return Collections.unmodifiableMap(m);
    }
}
