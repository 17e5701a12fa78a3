package dev.pretext.augment;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

/** Quarter turns of views ({@link View#rotated}) and of recipes ({@link ViewRecipe#withQuarterTurns}). */
class RotationTurnsTest {

    private static View view(ImageRecord img) {
        return new View(AugmentParams.cropOnly(0, 0, img.width(), img.height()), img.height(), img.width(),
                img.channels(), img.data());
    }

    @Test
    void aQuarterTurnMovesPixelRowColumnToWidthMinusOneMinusColumnRow() {
        // non-square on purpose: h = 3, w = 5, 3 channels, every byte different
        ImageRecord img = TestImages.random("a", 3, 5, 3, 1);
        View v = view(img);
        View q = v.rotated(1);
        assertEquals(5, q.height());
        assertEquals(3, q.width());
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 5; c++) {
                for (int ch = 0; ch < 3; ch++) {
                    assertEquals(v.pixel(r, c, ch), q.pixel(5 - 1 - c, r, ch), "(" + r + ", " + c + ")");
                }
            }
        }
        // counter-clockwise: the top-right corner goes to the top-left, the top-left to the bottom-left
        assertEquals(v.pixel(0, 4, 0), q.pixel(0, 0, 0));
        assertEquals(v.pixel(0, 0, 0), q.pixel(4, 0, 0));
        // a half turn is (r, c) -> (h-1-r, w-1-c), three quarters (r, c) -> (c, h-1-r)
        View h = v.rotated(2);
        View t = v.rotated(3);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 5; c++) {
                assertEquals(v.pixel(r, c, 1), h.pixel(3 - 1 - r, 5 - 1 - c, 1));
                assertEquals(v.pixel(r, c, 2), t.pixel(c, 3 - 1 - r, 2));
            }
        }
    }

    @Test
    void fourQuarterTurnsAreTheIdentityAndTurnsCompose() {
        View v = view(TestImages.random("b", 6, 4, 3, 2));
        assertArrayEquals(v.pixels(), v.rotated(1).rotated(1).rotated(1).rotated(1).pixels());
        assertArrayEquals(v.pixels(), v.rotated(4).pixels());
        assertSame(v, v.rotated(0));
        assertArrayEquals(v.rotated(2).pixels(), v.rotated(1).rotated(1).pixels());
        assertArrayEquals(v.rotated(3).pixels(), v.rotated(-1).pixels());
        assertArrayEquals(v.pixels(), v.rotated(3).rotated(1).pixels());
        assertEquals(v.params(), v.rotated(1).params(), "the draw is kept");
        // a permutation: the multiset of bytes is unchanged and a turn is not the identity
        assertFalse(java.util.Arrays.equals(v.pixels(), v.rotated(2).pixels()));
        byte[] a = v.pixels().clone();
        byte[] b = v.rotated(1).pixels().clone();
        java.util.Arrays.sort(a);
        java.util.Arrays.sort(b);
        assertArrayEquals(a, b);
        // single-channel views turn too
        View gray = view(TestImages.random("g", 2, 3, 1, 3));
        assertEquals(gray.pixel(0, 2, 0), gray.rotated(1).pixel(0, 0, 0));
    }

    @Test
    void aTurnedRecipeIsTheSameDrawTurned() {
        AugmentSpec spec = AugmentSpec.simclr(16);
        ImageRecord img = TestImages.gradient("c", 16, 16);
        ViewRecipe upright = ViewRecipe.of(spec);
        for (int q = 0; q < 4; q++) {
            ViewRecipe turned = upright.withQuarterTurns(q);
            assertEquals(q, turned.quarterTurns());
            View v = turned.view(img, 77);
            assertArrayEquals(upright.view(img, 77).rotated(q).pixels(), v.pixels(), "turns " + q);
            assertEquals(upright.view(img, 77).params(), v.params());
        }
        assertEquals(upright, upright.withQuarterTurns(4), "4 quarter turns are none");
        assertEquals(3, upright.withQuarterTurns(-1).quarterTurns());
        assertThrows(IllegalArgumentException.class, () -> new ViewRecipe(spec, 0, false, 4));
        // the original (MV-MR's x) turns too, still ignoring the seed
        ViewRecipe original = ViewRecipe.original(spec).withQuarterTurns(1);
        assertArrayEquals(view(img).rotated(1).pixels(), original.view(img, 5).pixels());
    }

    @Test
    void existingConstructorsDoNotTurn() {
        AugmentSpec spec = AugmentSpec.simclr(8);
        ImageRecord img = TestImages.random("d", 8, 8, 3, 4);
        assertEquals(0, ViewRecipe.of(spec).quarterTurns());
        assertEquals(0, new ViewRecipe(spec, 0.3).quarterTurns());
        assertEquals(0, ViewRecipe.original(spec).quarterTurns());
        assertEquals(new ViewRecipe(spec, 0.0, false, 0), ViewRecipe.of(spec));
        assertArrayEquals(new SimClrAugment(spec).view(img, 9).pixels(), ViewRecipe.of(spec).view(img, 9).pixels());
    }

    @Test
    void aQuarterTurnOfANonSquareViewIsRefusedNamingTheOutputSize() {
        ImageRecord img = TestImages.gradient("e", 6, 10);
        AugmentSpec spec = AugmentSpec.simclr(10);
        UserError e = assertThrows(UserError.class, () -> ViewRecipe.of(spec).withQuarterTurns(1).view(img, 1));
        assertTrue(e.getMessage().contains("augment.output-height") && e.getMessage().contains("6x10"), e.getMessage());
        assertEquals(6, ViewRecipe.of(spec).withQuarterTurns(2).view(img, 1).height(), "a half turn keeps the shape");
        // cropped and resized to a square output, any image turns
        View sq = ViewRecipe.of(spec.withOutputSize(8, 8)).withQuarterTurns(3).view(img, 1);
        assertEquals(8, sq.height());
        assertEquals(8, sq.width());
    }
}
