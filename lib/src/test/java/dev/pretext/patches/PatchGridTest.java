package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PatchGridTest {

    /** Every patch pixel equals the source pixel at the recorded box. */
    private static void assertPatchesMatchSource(ImageRecord img, List<Patch> patches) {
        for (Patch p : patches) {
            for (int y = 0; y < p.size(); y++) {
                for (int x = 0; x < p.size(); x++) {
                    for (int c = 0; c < img.channels(); c++) {
                        assertEquals(img.pixel(p.y0() + y, p.x0() + x, c), p.pixel(y, x, c),
                                "patch (" + p.row() + "," + p.col() + ") pixel " + y + "," + x + "," + c);
                    }
                }
            }
        }
    }

    @Test
    void plainFourByFourTilesA32ImageExactly() {
        ImageRecord img = PatchTestImages.random("a", "train", 1, 32, 32, 3, 7);
        PatchGrid grid = PatchGrid.plain(4);
        assertEquals(new PatchGrid.Layout(8, 8, 0, 0), grid.layout(32, 32));
        List<Patch> patches = grid.cut(img, 123);
        assertEquals(16, patches.size());
        for (int p = 0; p < 16; p++) {
            Patch patch = patches.get(p);
            assertEquals(p / 4, patch.row());
            assertEquals(p % 4, patch.col());
            assertEquals(8 * (p / 4), patch.y0());
            assertEquals(8 * (p % 4), patch.x0());
            assertEquals(8 * 8 * 3, patch.data().length);
        }
        assertPatchesMatchSource(img, patches);
        assertArrayEquals(img.data(), PatchGrid.reassemble(patches, 32, 32, 3));
    }

    @Test
    void sizesThatDoNotDivideUseACentredSquare() {
        // 30x37: cell = floor(30/4) = 7, the 28x28 grid starts at (1, 4)
        ImageRecord img = PatchTestImages.random("b", "train", 1, 30, 37, 3, 8);
        PatchGrid grid = PatchGrid.plain(4);
        assertEquals(new PatchGrid.Layout(7, 7, 1, 4), grid.layout(30, 37));
        List<Patch> patches = grid.cut(img, 0);
        assertPatchesMatchSource(img, patches);
        byte[] back = PatchGrid.reassemble(patches, 30, 37, 3);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 37; x++) {
                boolean inside = y >= 1 && y < 29 && x >= 4 && x < 32;
                for (int c = 0; c < 3; c++) {
                    int want = inside ? img.pixel(y, x, c) : 0;
                    assertEquals(want, back[(y * 37 + x) * 3 + c] & 0xff, "pixel " + y + "," + x);
                }
            }
        }
    }

    @Test
    void gapCentresPatchesInTheirCells() {
        // 32x32, 3x3, gap 2: cell 10, patch 8, origin 1, each patch 1 pixel in from its cell edge
        ImageRecord img = PatchTestImages.random("c", "train", 1, 32, 32, 1, 9);
        PatchGrid grid = new PatchGrid(3, 2, 0);
        assertEquals(new PatchGrid.Layout(10, 8, 1, 1), grid.layout(32, 32));
        List<Patch> patches = grid.cut(img, 5);
        for (Patch p : patches) {
            assertEquals(1 + 10 * p.row() + 1, p.y0());
            assertEquals(1 + 10 * p.col() + 1, p.x0());
            assertEquals(8, p.size());
        }
        assertPatchesMatchSource(img, patches);
    }

    @Test
    void jitterStaysInsideTheCellIsReproducibleAndCoversItsRange() {
        ImageRecord img = PatchTestImages.random("d", "train", 1, 35, 32, 3, 10);
        PatchGrid grid = new PatchGrid(3, 6, 3); // cell 10, patch 4, offsets in [0, 6]
        PatchGrid.Layout l = grid.layout(35, 32);
        assertEquals(new PatchGrid.Layout(10, 4, 2, 1), l);
        Set<Integer> offsetsSeen = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            List<Patch> a = grid.cut(img, seed);
            List<Patch> b = grid.cut(img, seed);
            assertPatchesMatchSource(img, a);
            for (int i = 0; i < a.size(); i++) {
                Patch p = a.get(i);
                assertEquals(p.y0(), b.get(i).y0(), "same seed, same box");
                assertEquals(p.x0(), b.get(i).x0(), "same seed, same box");
                assertArrayEquals(p.data(), b.get(i).data());
                int oy = p.y0() - (l.originY() + p.row() * l.cell());
                int ox = p.x0() - (l.originX() + p.col() * l.cell());
                assertTrue(oy >= 0 && oy + p.size() <= l.cell(), "row offset " + oy + " leaves the cell");
                assertTrue(ox >= 0 && ox + p.size() <= l.cell(), "column offset " + ox + " leaves the cell");
                offsetsSeen.add(oy);
                offsetsSeen.add(ox);
            }
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6), offsetsSeen, "every offset of [gap/2 - j, gap/2 + j] is drawn");
        List<Patch> s1 = grid.cut(img, 1), s2 = grid.cut(img, 2);
        boolean differ = false;
        for (int i = 0; i < s1.size(); i++) {
            differ |= s1.get(i).y0() != s2.get(i).y0() || s1.get(i).x0() != s2.get(i).x0();
        }
        assertTrue(differ, "different seeds give different jitter");
        // no jitter: the seed does not matter
        PatchGrid still = new PatchGrid(3, 6, 0);
        assertEquals(still.cut(img, 1).get(4).y0(), still.cut(img, 2).get(4).y0());
    }

    @Test
    void badGridsAndImagesAreUserErrors() {
        assertTrue(assertThrows(UserError.class, () -> new PatchGrid(0, 0, 0)).getMessage().contains("patches.grid"));
        assertTrue(assertThrows(UserError.class, () -> new PatchGrid(3, -1, 0)).getMessage().contains("patches.gap"));
        UserError j = assertThrows(UserError.class, () -> new PatchGrid(3, 3, 2));
        assertTrue(j.getMessage().contains("patches.jitter") && j.getMessage().contains("= 1"), j.getMessage());

        ImageRecord tiny = PatchTestImages.random("folder/tiny.png", "train", 0, 3, 20, 3, 1);
        UserError small = assertThrows(UserError.class, () -> PatchGrid.plain(4).cut(tiny, 0));
        assertTrue(small.getMessage().contains("folder/tiny.png") && small.getMessage().contains("at least 4"),
                small.getMessage());
        assertThrows(UserError.class, () -> new PatchGrid(3, 2, 0).layout(8, 100)); // cell 2, patch 0

        UserError bytes = assertThrows(UserError.class,
                () -> PatchGrid.plain(2).cut(new byte[10], 4, 4, 3, 0, "image x"));
        assertTrue(bytes.getMessage().contains("image x") && bytes.getMessage().contains("48"), bytes.getMessage());
    }

    @Test
    void reassembleRejectsPatchesOutsideTheCanvas() {
        Patch p = new Patch(0, 0, 30, 0, 8, 3, new byte[8 * 8 * 3]);
        assertThrows(IllegalArgumentException.class, () -> PatchGrid.reassemble(List.of(p), 32, 32, 3));
    }
}
