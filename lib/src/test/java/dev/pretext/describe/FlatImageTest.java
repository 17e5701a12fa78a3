package dev.pretext.describe;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The two pixel descriptors: the image itself and one SimCLR view of it. */
class FlatImageTest {

    @Test
    void flatImageIsChwOverTwoFiftyFive() {
        ImageRecord img = DescribeImages.random("r", 3, 5, 2);
        float[] v = new FlatImage().compute(img);
        assertEquals(45, v.length);
        assertEquals(new FlatImage().dimension(3, 5), v.length);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals(img.pixel(y, x, c) / 255f, v[(c * 3 + y) * 5 + x]);
                }
            }
        }
    }

    @Test
    void augmentedIsTheSeededSimClrViewFlattened() {
        ImageRecord img = DescribeImages.texture("cifar10/train/000042", 32, 1, 6, 0, 0, 9);
        AugmentSpec spec = AugmentSpec.cifar();
        float[] got = new AugmentedImage(spec, 1234L).compute(img);
        View view = new SimClrAugment(spec).view(img, ViewSeeds.seed(1234L, img.id(), 0, 0));
        assertEquals(3 * 32 * 32, got.length);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    assertEquals(view.pixel(y, x, c) / 255f, got[(c * 32 + y) * 32 + x]);
                }
            }
        }
        assertArrayEquals(got, new AugmentedImage(spec, 1234L).compute(img), "reproducible");
        assertFalse(java.util.Arrays.equals(got, new AugmentedImage(spec, 99L).compute(img)), "seed matters");
        assertFalse(java.util.Arrays.equals(got, new FlatImage().compute(img)), "it is augmented");
    }

    @Test
    void augmentedDefaultsToSimClrRecipeForTheImageSizeAndHonoursOutputSize() {
        ImageRecord img = DescribeImages.random("stl10/unlabeled/7", 40, 40, 4);
        float[] auto = new AugmentedImage(null, 5L).compute(img);
        float[] explicit = new AugmentedImage(AugmentSpec.simclr(40), 5L).compute(img);
        assertArrayEquals(explicit, auto);
        AugmentedImage small = new AugmentedImage(AugmentSpec.cifar().withOutputSize(16, 24), 5L);
        assertEquals(3 * 16 * 24, small.dimension(40, 40));
        assertEquals(3 * 16 * 24, small.compute(img).length);
    }

    @Test
    void augmentedParametersRecordSpecAndSeed() {
        Map<String, Object> p = new AugmentedImage(AugmentSpec.stl10(), 77L).parameters();
        assertEquals("augmented", p.get("name"));
        assertEquals(77L, p.get("seed"));
        Map<?, ?> spec = (Map<?, ?>) p.get("spec");
        assertEquals(0.5, spec.get("blur-p"));
        assertEquals(0.2, spec.get("crop-scale-min"));
        assertEquals(17, spec.size(), "every AugmentSpec field");
    }
}
