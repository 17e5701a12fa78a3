package dev.pretext.patches;

import dev.pretext.UserError;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The classes of the jigsaw task: N permutations of the 9 tiles of a 3x3 grid, far apart in
 * Hamming distance (number of slots where two permutations differ) so that the classes are easy
 * to tell apart in principle. Permutation {@code p} means: slot i of the shuffled puzzle shows
 * the tile from grid position {@code p[i]} (see {@link #shuffle}).
 *
 * <p>From 10 to 72 permutations the set is part of the affine group AGL(1, 9) (see {@link #affine}):
 * minimum distance 8, the optimum (9 allows at most 9 permutations). Up to 9, and beyond 72
 * (continuing from all 72 affine ones), selection is Noroozi &amp; Favaro's greedy algorithm (ECCV
 * 2016, Algorithm 1) over all 9! = 362880 permutations, with a max-min criterion: start from a random permutation, then
 * repeatedly add the candidate whose <em>minimum</em> distance to the chosen set is largest;
 * among equals, the one with the largest <em>sum</em> of distances (the paper's own criterion,
 * used alone in its reference code); among those, one drawn uniformly by the seeded RNG. The
 * paper's sum-only criterion yields sets whose closest pair differs in only 3 slots; max-min keeps
 * the closest pair far apart, and the sum tie-break keeps the mean as high as the paper's.
 *
 * <p>What it achieves (measured): minimum distance 9 up to N = 9 (a Latin square), 8 from 10 to
 * 72 (affine; greedy alone stops at about 19 and gives 7 for N = 64), 6 at N = 100 and 5 at
 * N = 1000 (the same as greedy alone; the sum-only criterion gave 3 for 64 and 100). 100 cannot
 * have 8, since at most 72 permutations of 9 are pairwise 8 apart.
 *
 * <p>Speed: a permutation is 9 nibbles in a long; the distance is a popcount of the XOR folded
 * to one bit per nibble. Each addition updates every candidate's min and sum in one pass, about
 * 2 ms; N = 1000 takes about 2 s on one core.
 *
 * <p>The RNG is {@code SplittableRandom(seed)}; the start index and tie choices are drawn as
 * {@code ((nextLong() >>> 32) * n) >>> 32}; candidates are in lexicographic order. The same
 * (N, seed) gives the same list, in the same order, everywhere.
 */
public final class JigsawPermutations implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Tiles of a 3x3 puzzle. */
    public static final int TILES = 9;
    /** 9!, the number of candidate permutations. */
    public static final int ALL = 362880;
    private static final long NIBBLE_LOW_BITS = 0x111111111L;
    private static final int SUM_BITS = 22; // 9 * 9! < 2^22

    private final int[][] permutations;
    private final int minDistance;
    private final double meanDistance;

    private JigsawPermutations(int[][] permutations) {
        this.permutations = permutations;
        long[] enc = new long[permutations.length];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = encode(permutations[i]);
        }
        int min = TILES;
        long total = 0;
        for (int i = 0; i < enc.length; i++) {
            for (int j = i + 1; j < enc.length; j++) {
                int d = distance(enc[i], enc[j]);
                min = Math.min(min, d);
                total += d;
            }
        }
        long pairs = (long) enc.length * (enc.length - 1) / 2;
        this.minDistance = pairs == 0 ? TILES : min;
        this.meanDistance = pairs == 0 ? TILES : (double) total / pairs;
    }

    /** The set of {@code count} permutations for {@code seed} (see the class comment). */
    public static JigsawPermutations generate(int count, long seed) {
        if (count < 1 || count > ALL) {
            throw new UserError("patches.permutations must be between 1 and 9! = " + ALL + " for the jigsaw task, got "
                    + count);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        if (count <= TILES) {
            return greedy(count, rng, new long[0]);
        }
        long[] affine = affine(rng);
        if (count <= affine.length) {
            int[][] chosen = new int[count][];
            for (int i = 0; i < count; i++) {
                chosen[i] = decode(affine[i]);
            }
            return new JigsawPermutations(chosen);
        }
        return greedy(count, rng, affine);
    }

    /**
     * The 72 maps x -> a x + b of the field with 9 elements (a != 0), a sharply 2-transitive group:
     * two of them agree on at most one point, so every pair is at Hamming distance 8 or 9, the most
     * 72 permutations of 9 can be. The field's elements are numbered 0..8 as u + 3v for u + v i,
     * i^2 = -1 (x^2 + 1 is irreducible over GF(3)). The seed relabels slots and tiles
     * (p -> sigma p tau, which keeps every distance) and orders the set.
     */
    static long[] affine(SplittableRandom rng) {
        int[] sigma = randomPermutation(rng);
        int[] tau = randomPermutation(rng);
        long[] out = new long[72];
        int k = 0;
        for (int a = 1; a < TILES; a++) {
            for (int b = 0; b < TILES; b++) {
                int[] p = new int[TILES];
                for (int x = 0; x < TILES; x++) {
                    int t = tau[x];
                    p[x] = sigma[gfAdd(gfMul(a, t), b)];
                }
                out[k++] = encode(p);
            }
        }
        for (int i = out.length - 1; i > 0; i--) {
            int j = below(rng, i + 1);
            long t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    private static int gfAdd(int x, int y) {
        return (x % 3 + y % 3) % 3 + 3 * ((x / 3 + y / 3) % 3);
    }

    private static int gfMul(int x, int y) {
        int a = x % 3, b = x / 3, c = y % 3, d = y / 3;
        return Math.floorMod(a * c - b * d, 3) + 3 * ((a * d + b * c) % 3);
    }

    private static int[] randomPermutation(SplittableRandom rng) {
        int[] p = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        for (int i = TILES - 1; i > 0; i--) {
            int j = below(rng, i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Greedy max-min over all 9! candidates, continuing from {@code start} (or from a random
     * permutation when it is empty).
     */
    private static JigsawPermutations greedy(int count, SplittableRandom rng, long[] start) {
        long[] cand = allPermutations();
        int n = cand.length;
        byte[] min = new byte[n];
        Arrays.fill(min, (byte) TILES);
        int[] sum = new int[n];
        int[][] chosen = new int[count][];
        int c = 0;
        for (long p : start) {
            chosen[c++] = decode(p);
            for (int k = 0; k < n; k++) {
                int d = distance(p, cand[k]);
                if (d < min[k]) {
                    min[k] = (byte) d;
                }
                sum[k] += d;
            }
        }
        int next = start.length == 0 ? below(rng, n) : pick(min, sum, rng);
        for (; c < count; c++) {
            long p = cand[next];
            chosen[c] = decode(p);
            if (c == count - 1) {
                break;
            }
            int best = -1, ties = 0;
            for (int k = 0; k < n; k++) {
                int d = distance(p, cand[k]);
                if (d < min[k]) {
                    min[k] = (byte) d;
                }
                sum[k] += d;
                int key = (min[k] << SUM_BITS) | sum[k];
                if (key > best) {
                    best = key;
                    ties = 1;
                    next = k;
                } else if (key == best) {
                    ties++;
                }
            }
            if (ties > 1) {
                next = tie(min, sum, best, below(rng, ties));
            }
        }
        return new JigsawPermutations(chosen);
    }

    /** The best candidate by (min, sum), ties drawn by the RNG. */
    private static int pick(byte[] min, int[] sum, SplittableRandom rng) {
        int best = -1, ties = 0;
        for (int k = 0; k < min.length; k++) {
            int key = (min[k] << SUM_BITS) | sum[k];
            if (key > best) {
                best = key;
                ties = 1;
            } else if (key == best) {
                ties++;
            }
        }
        return tie(min, sum, best, below(rng, ties));
    }

    private static int tie(byte[] min, int[] sum, int best, int t) {
        for (int k = 0; k < min.length; k++) {
            if (((min[k] << SUM_BITS) | sum[k]) == best && t-- == 0) {
                return k;
            }
        }
        throw new IllegalStateException("no candidate with key " + best);
    }

    /** A given set (e.g. read back from a manifest); each must be a permutation of 0..8, all distinct. */
    public static JigsawPermutations of(int[][] permutations) {
        if (permutations == null || permutations.length == 0) {
            throw new UserError("jigsaw permutations: the set is empty; expected at least one permutation of 0..8");
        }
        Set<Long> seen = new HashSet<>();
        int[][] copy = new int[permutations.length][];
        for (int i = 0; i < permutations.length; i++) {
            int[] p = permutations[i];
            boolean[] used = new boolean[TILES];
            boolean valid = p != null && p.length == TILES;
            for (int j = 0; valid && j < TILES; j++) {
                valid = p[j] >= 0 && p[j] < TILES && !used[p[j]];
                if (valid) {
                    used[p[j]] = true;
                }
            }
            if (!valid) {
                throw new UserError("jigsaw permutation " + i + " is " + Arrays.toString(p)
                        + "; expected a permutation of 0..8");
            }
            if (!seen.add(encode(p))) {
                throw new UserError("jigsaw permutation " + i + " " + Arrays.toString(p) + " appears twice");
            }
            copy[i] = p.clone();
        }
        return new JigsawPermutations(copy);
    }

    /** The set as stored in a manifest: one list of 9 integers per permutation. */
    public List<List<Integer>> toLists() {
        List<List<Integer>> out = new ArrayList<>(permutations.length);
        for (int[] p : permutations) {
            out.add(Arrays.stream(p).boxed().toList());
        }
        return out;
    }

    /** Parses {@link #toLists()}'s form as read back from JSON (lists of numbers). */
    public static JigsawPermutations fromLists(Object value) {
        if (!(value instanceof List<?> rows)) {
            throw new UserError("jigsaw permutations: expected a list of lists of 9 integers, got " + value);
        }
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            if (!(rows.get(i) instanceof List<?> row)) {
                throw new UserError("jigsaw permutation " + i + ": expected a list of 9 integers, got " + rows.get(i));
            }
            out[i] = new int[row.size()];
            for (int j = 0; j < row.size(); j++) {
                if (!(row.get(j) instanceof Number num)) {
                    throw new UserError("jigsaw permutation " + i + ": element " + j + " is not a number: " + row.get(j));
                }
                out[i][j] = num.intValue();
            }
        }
        return of(out);
    }

    public int size() {
        return permutations.length;
    }

    /** Permutation {@code i} (a copy). */
    public int[] get(int i) {
        return permutations[i].clone();
    }

    /** All permutations (copies), in selection order: index = jigsaw class. */
    public int[][] toArray() {
        int[][] out = new int[permutations.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = permutations[i].clone();
        }
        return out;
    }

    /** Smallest Hamming distance between two members (9 for a single permutation). */
    public int minDistance() {
        return minDistance;
    }

    /** Mean Hamming distance over all pairs of members (9 for a single permutation). */
    public double meanDistance() {
        return meanDistance;
    }

    /** The 9 tiles (in grid position order) arranged by permutation {@code index}: slot i gets tile p[i]. */
    public <T> List<T> shuffle(List<T> tiles, int index) {
        if (tiles.size() != TILES) {
            throw new IllegalArgumentException("a jigsaw puzzle has 9 tiles, got " + tiles.size());
        }
        int[] p = permutations[index];
        List<T> out = new ArrayList<>(TILES);
        for (int i = 0; i < TILES; i++) {
            out.add(tiles.get(p[i]));
        }
        return out;
    }

    /** Number of slots where {@code a} and {@code b} differ. */
    public static int hamming(int[] a, int[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " and " + b.length);
        }
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                d++;
            }
        }
        return d;
    }

    /** All 9! permutations in lexicographic order, encoded 4 bits per slot (slot i in bits 4i..4i+3). */
    static long[] allPermutations() {
        long[] out = new long[ALL];
        int[] a = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        int k = 0;
        while (true) {
            out[k++] = encode(a);
            // next lexicographic permutation
            int i = TILES - 2;
            while (i >= 0 && a[i] > a[i + 1]) {
                i--;
            }
            if (i < 0) {
                return out;
            }
            int j = TILES - 1;
            while (a[j] < a[i]) {
                j--;
            }
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
            for (int l = i + 1, r = TILES - 1; l < r; l++, r--) {
                t = a[l];
                a[l] = a[r];
                a[r] = t;
            }
        }
    }

    private static long encode(int[] p) {
        long v = 0;
        for (int i = 0; i < TILES; i++) {
            v |= ((long) p[i]) << (4 * i);
        }
        return v;
    }

    private static int[] decode(long v) {
        int[] p = new int[TILES];
        for (int i = 0; i < TILES; i++) {
            p[i] = (int) ((v >>> (4 * i)) & 0xf);
        }
        return p;
    }

    /** Slots that differ: any bit set in a nibble of a XOR b folds onto that nibble's low bit. */
    private static int distance(long a, long b) {
        long x = a ^ b;
        return Long.bitCount((x | (x >>> 1) | (x >>> 2) | (x >>> 3)) & NIBBLE_LOW_BITS);
    }

    private static int below(SplittableRandom rng, int n) {
        return (int) (((rng.nextLong() >>> 32) * n) >>> 32);
    }
}
