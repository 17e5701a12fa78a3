package dev.pretext.patches;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JigsawPermutationsTest {

    /** Recomputes min and mean from scratch and checks validity and distinctness. */
    private static void checkSet(JigsawPermutations s, int n) {
        assertEquals(n, s.size());
        int[][] all = s.toArray();
        Set<String> distinct = new HashSet<>();
        for (int[] p : all) {
            int[] sorted = p.clone();
            Arrays.sort(sorted);
            assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8}, sorted, Arrays.toString(p));
            distinct.add(Arrays.toString(p));
        }
        assertEquals(n, distinct.size(), "all distinct");
        int min = 9;
        long total = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int d = JigsawPermutations.hamming(all[i], all[j]);
                min = Math.min(min, d);
                total += d;
            }
        }
        assertEquals(min, s.minDistance());
        assertEquals((double) total / ((long) n * (n - 1) / 2), s.meanDistance(), 1e-12);
    }

    @Test
    void sixtyFourAndOneHundredAreFarApart() {
        for (long seed = 0; seed < 3; seed++) {
            JigsawPermutations p64 = JigsawPermutations.generate(64, seed);
            checkSet(p64, 64);
            // part of AGL(1, 9): 8, the most that more than 9 permutations of 9 can have
            assertEquals(8, p64.minDistance(), "seed " + seed);
            assertTrue(p64.meanDistance() > 8.1, "mean " + p64.meanDistance());

            JigsawPermutations p100 = JigsawPermutations.generate(100, seed);
            checkSet(p100, 100);
            assertEquals(6, p100.minDistance(), "seed " + seed); // > 72, so 8 is impossible
            assertTrue(p100.meanDistance() > 8.0, "mean " + p100.meanDistance());
        }
    }

    @Test
    void smallSetsAreLatinSquaresAtDistanceNine() {
        JigsawPermutations nine = JigsawPermutations.generate(9, 42);
        checkSet(nine, 9);
        assertEquals(9, nine.minDistance());
        assertEquals(9, JigsawPermutations.generate(1, 42).minDistance());
        assertEquals(8, JigsawPermutations.generate(19, 42).minDistance());
        assertEquals(8, JigsawPermutations.generate(10, 42).minDistance());
        JigsawPermutations all = JigsawPermutations.generate(72, 42);
        checkSet(all, 72);
        assertEquals(8, all.minDistance(), "the whole affine group");
    }

    @Test
    void oneThousandIsFastAndAtLeastFiveApart() {
        long t0 = System.nanoTime();
        JigsawPermutations p = JigsawPermutations.generate(1000, 3);
        double seconds = (System.nanoTime() - t0) / 1e9;
        checkSet(p, 1000);
        assertEquals(5, p.minDistance());
        assertTrue(seconds < 30, "took " + seconds + " s");
    }

    @Test
    void seedDeterminesTheSet() {
        JigsawPermutations a = JigsawPermutations.generate(64, 11);
        JigsawPermutations b = JigsawPermutations.generate(64, 11);
        JigsawPermutations c = JigsawPermutations.generate(64, 12);
        assertArrayEquals(a.toArray(), b.toArray());
        assertFalse(Arrays.deepEquals(a.toArray(), c.toArray()));
        Set<String> sa = new HashSet<>(), sc = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            sa.add(Arrays.toString(a.get(i)));
            sc.add(Arrays.toString(c.get(i)));
        }
        assertFalse(sa.equals(sc), "different seeds give different sets, not only a different order");
    }

    @Test
    void roundTripsThroughManifestFormAndShuffles() {
        JigsawPermutations a = JigsawPermutations.generate(10, 5);
        JigsawPermutations back = JigsawPermutations.fromLists(a.toLists());
        assertArrayEquals(a.toArray(), back.toArray());
        List<String> tiles = List.of("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8");
        List<String> shuffled = a.shuffle(tiles, 3);
        int[] p = a.get(3);
        for (int i = 0; i < 9; i++) {
            assertEquals("t" + p[i], shuffled.get(i));
        }
    }

    @Test
    void invalidSetsAndCountsAreUserErrors() {
        assertThrows(UserError.class, () -> JigsawPermutations.generate(0, 1));
        assertThrows(UserError.class, () -> JigsawPermutations.generate(362881, 1));
        assertThrows(UserError.class, () -> JigsawPermutations.of(new int[][]{{0, 1, 2, 3, 4, 5, 6, 7, 7}}));
        assertThrows(UserError.class, () -> JigsawPermutations.of(new int[][]{{0, 1, 2}}));
        assertThrows(UserError.class,
                () -> JigsawPermutations.of(new int[][]{{0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 1, 2, 3, 4, 5, 6, 7, 8}}));
        assertThrows(UserError.class, () -> JigsawPermutations.fromLists(List.of(List.of("a"))));
    }
}
