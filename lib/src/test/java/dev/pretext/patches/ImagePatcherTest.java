package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagePatcherTest {
    private static final AugmentSpec SPEC = AugmentSpec.cifar().withBlur(0.5, 0.1, 2.0, 0);

    @Test
    void viewsAreCutFromExactlySimClrAugmentsPixels() {
        ImageRecord img = PatchTestImages.random("cifar10/train/000007", "train", 4, 32, 32, 3, 3);
        PatchSettings s = PatchSettings.dv2(4, SPEC).withViews(4, true).withSeed(99);
        List<PatchRecord> rows = new ImagePatcher(s).patch(img);
        assertEquals(5, rows.size());
        assertEquals(5, s.rowsPerImage());

        PatchRecord original = rows.get(0);
        assertEquals(-1, original.view());
        assertNull(original.viewSeed());
        assertArrayEquals(img.data(), original.reassemble());

        SimClrAugment augment = new SimClrAugment(SPEC);
        for (int v = 0; v < 4; v++) {
            PatchRecord r = rows.get(v + 1);
            long seed = ViewSeeds.seed(99, img.id(), 0, v);
            View want = augment.view(img, seed);
            assertEquals(v, r.view());
            assertEquals(seed, r.viewSeed());
            assertEquals(ImagePatcher.jitterSeed(99, img.id(), v), r.jitterSeed());
            assertEquals("train", r.split());
            assertEquals(4, r.label());
            assertEquals(16, r.patches().size());
            assertArrayEquals(want.pixels(), r.reassemble(), "view " + v);
            assertNotEquals(ImagePatcher.jitterSeed(99, img.id(), v), seed, "jitter has its own stream");
        }
        // pure function: again, same bytes
        List<PatchRecord> again = new ImagePatcher(s).patch(img);
        for (int i = 0; i < rows.size(); i++) {
            for (int p = 0; p < 16; p++) {
                assertArrayEquals(rows.get(i).patches().get(p), again.get(i).patches().get(p));
            }
        }
    }

    @Test
    void encodedImagesAreDecodedFirst() throws IOException {
        ImageRecord raw = PatchTestImages.random("folder/a.png", "train", 1, 12, 12, 3, 5);
        BufferedImage bi = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 12; x++) {
                bi.setRGB(x, y, raw.pixel(y, x, 0) << 16 | raw.pixel(y, x, 1) << 8 | raw.pixel(y, x, 2));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(bi, "png", png);
        ImageRecord encoded = new ImageRecord(raw.id(), "train", 1, -1, 12, 12, 3, ImageRecord.PNG, png.toByteArray(),
                "a.png");
        PatchRecord r = new ImagePatcher(PatchSettings.defaults()).patch(encoded).get(0);
        assertEquals(3, r.size());
        assertArrayEquals(raw.data(), r.reassemble());
    }

    @Test
    void contextOfAPatchIsItsNeighboursWithZerosOutside() {
        ImageRecord img = PatchTestImages.random("x", "train", 0, 16, 16, 3, 6);
        PatchRecord r = new ImagePatcher(PatchSettings.defaults()).patch(img).get(0);
        byte[] ctx = r.context(0);
        int len = 4 * 4 * 3;
        int[] n = ContextNeighbourhood.neighbours(4, 0);
        for (int k = 0; k < 8; k++) {
            byte[] part = java.util.Arrays.copyOfRange(ctx, k * len, (k + 1) * len);
            assertArrayEquals(n[k] < 0 ? new byte[len] : r.patches().get(n[k]), part, "neighbour " + k);
        }
        assertEquals(4 * 4 + 3 * 2, r.explodedTile(2).height(), "4 patches of 4 and 3 gaps of 2");
    }

    @Test
    void settingsAreValidatedWithConfigKeys() {
        Map<String, org.junit.jupiter.api.function.Executable> bad = Map.of(
                "patches.grid", () -> PatchSettings.defaults().withGrid(0, 0, 0),
                "patches.views", () -> PatchSettings.defaults().withViews(-1, true),
                "patches.permutations", () -> PatchSettings.defaults().withPermutations(64), // grid 4
                "patches.shards", () -> PatchSettings.defaults().withShards(0),
                "patches.include-original", () -> PatchSettings.defaults().withViews(0, false));
        for (var e : bad.entrySet()) {
            UserError err = assertThrows(UserError.class, e.getValue());
            assertTrue(err.getMessage().contains(e.getKey()), err.getMessage());
        }
        assertThrows(UserError.class, () -> PatchSettings.defaults().withAugment(null).withViews(2, true));
        PatchSettings jig = PatchSettings.jigsaw(2, 1, 64);
        assertEquals(3, jig.grid());
        assertEquals(1, jig.rowsPerImage());
        assertEquals(2, PatchSettings.dv2(2, SPEC).toMap().get("views"));
        assertTrue(PatchSettings.dv2(2, SPEC).toMap().get("augment") instanceof Map<?, ?>);
    }
}
