package dev.pretext.patches;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ContextNeighbourhoodTest {

    @Test
    void neighboursClockwiseFromTopLeftWithMinusOneOutside() {
        // 4x4 grid:  0  1  2  3 /  4  5  6  7 /  8  9 10 11 / 12 13 14 15
        assertArrayEquals(new int[]{0, 1, 2, 6, 10, 9, 8, 4}, ContextNeighbourhood.neighbours(4, 5));
        assertArrayEquals(new int[]{-1, -1, -1, 1, 5, 4, -1, -1}, ContextNeighbourhood.neighbours(4, 0));
        assertArrayEquals(new int[]{-1, -1, -1, -1, -1, 7, 6, 2}, ContextNeighbourhood.neighbours(4, 3));
        assertArrayEquals(new int[]{10, 11, -1, -1, -1, -1, -1, 14}, ContextNeighbourhood.neighbours(4, 15));
        assertArrayEquals(new int[]{-1, -1, -1, -1, -1, -1, -1, -1}, ContextNeighbourhood.neighbours(1, 0));
        assertArrayEquals(new int[]{0, 1, 2, 5, 8, 7, 6, 3}, ContextNeighbourhood.neighbours(3, 4));
    }

    @Test
    void neighbourhoodIsSymmetricWithOppositeIndex() {
        for (int g = 1; g <= 5; g++) {
            int[][] t = ContextNeighbourhood.table(g);
            int outside = 0;
            for (int a = 0; a < g * g; a++) {
                for (int k = 0; k < 8; k++) {
                    int b = t[a][k];
                    if (b < 0) {
                        outside++;
                        continue;
                    }
                    assertEquals(a, t[b][(k + 4) % 8], "grid " + g + ": " + a + " -> " + b);
                    assertEquals(k, ContextNeighbourhood.relativePosition(g, a, b));
                    int[] off = ContextNeighbourhood.offset(k);
                    assertEquals(a / g + off[0], b / g);
                    assertEquals(a % g + off[1], b % g);
                }
            }
            // outside slots = 8 G^2 minus the ordered adjacent pairs: 4G(G-1) straight + 4(G-1)^2 diagonal
            int adjacentOrdered = 2 * (2 * g * (g - 1)) + 2 * (2 * (g - 1) * (g - 1));
            assertEquals(8 * g * g - adjacentOrdered, outside, "grid " + g);
        }
        assertEquals(-1, ContextNeighbourhood.relativePosition(4, 0, 15));
        assertEquals(-1, ContextNeighbourhood.relativePosition(4, 5, 5));
    }

    @Test
    void contextHasNeighbourBytesInOrderAndZerosAtTheBorder() {
        List<byte[]> patches = new ArrayList<>();
        for (int p = 0; p < 16; p++) {
            byte[] b = new byte[12];
            Arrays.fill(b, (byte) (p + 1));
            patches.add(b);
        }
        byte[] corner = ContextNeighbourhood.context(patches, 4, 0);
        assertEquals(8 * 12, corner.length);
        int[] want = {0, 0, 0, 2, 6, 5, 0, 0}; // patch p holds the value p + 1; 0 = zero patch
        for (int k = 0; k < 8; k++) {
            for (int i = 0; i < 12; i++) {
                assertEquals(want[k], corner[k * 12 + i], "neighbour " + k);
            }
        }
        byte[] inner = ContextNeighbourhood.context(patches, 4, 10);
        int[] n = ContextNeighbourhood.neighbours(4, 10);
        for (int k = 0; k < 8; k++) {
            assertEquals(n[k] + 1, inner[k * 12]);
        }
        assertThrows(IllegalArgumentException.class, () -> ContextNeighbourhood.context(patches, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> ContextNeighbourhood.neighbours(4, 16));
    }
}
