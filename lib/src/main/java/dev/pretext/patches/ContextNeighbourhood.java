package dev.pretext.patches;

import java.util.List;

/**
 * The 8 neighbours of each position of a G x G patch grid, in one fixed order: clockwise from the
 * top-left,
 * <pre>
 *   0 (-1,-1)  1 (-1, 0)  2 (-1,+1)
 *   7 ( 0,-1)     self    3 ( 0,+1)
 *   6 (+1,-1)  5 (+1, 0)  4 (+1,+1)
 * </pre>
 * as (row, column) offsets. Positions are row-major ({@code row * G + col}); a neighbour outside
 * the grid is -1, and the context autoencoder feeds a zero patch there. Neighbour k of a is b
 * exactly when neighbour (k + 4) % 8 of b is a. The same index is the 8-way label of the
 * relative-position task ({@link #relativePosition}).
 */
public final class ContextNeighbourhood {
    /** Neighbours per position. */
    public static final int SIZE = 8;
    /** Row offsets of neighbours 0..7. */
    private static final int[] DY = {-1, -1, -1, 0, 1, 1, 1, 0};
    /** Column offsets of neighbours 0..7. */
    private static final int[] DX = {-1, 0, 1, 1, 1, 0, -1, -1};
    /** The order as written into table manifests. */
    public static final String ORDER = "clockwise from top-left as (row, col) offsets: (-1,-1) (-1,0) (-1,+1) (0,+1) "
            + "(+1,+1) (+1,0) (+1,-1) (0,-1); positions row-major (row * grid + col); -1 = outside the grid (zero patch)";

    private ContextNeighbourhood() {
    }

    /** The (row, column) offset of neighbour k, 0 <= k < 8. */
    public static int[] offset(int k) {
        if (k < 0 || k >= SIZE) {
            throw new IllegalArgumentException("neighbour index must be in [0, 8), got " + k);
        }
        return new int[]{DY[k], DX[k]};
    }

    /** The 8 neighbour positions of {@code position} in a G x G grid, -1 outside the grid. */
    public static int[] neighbours(int grid, int position) {
        check(grid, position);
        int r = position / grid, c = position % grid;
        int[] out = new int[SIZE];
        for (int k = 0; k < SIZE; k++) {
            int rr = r + DY[k], cc = c + DX[k];
            out[k] = rr < 0 || rr >= grid || cc < 0 || cc >= grid ? -1 : rr * grid + cc;
        }
        return out;
    }

    /** {@link #neighbours} for every position: [G*G][8]. */
    public static int[][] table(int grid) {
        if (grid < 1) {
            throw new IllegalArgumentException("grid must be >= 1, got " + grid);
        }
        int[][] out = new int[grid * grid][];
        for (int p = 0; p < out.length; p++) {
            out[p] = neighbours(grid, p);
        }
        return out;
    }

    /** The index k with {@code other} = neighbour k of {@code center}, or -1 when they are not adjacent. */
    public static int relativePosition(int grid, int center, int other) {
        check(grid, other);
        int[] n = neighbours(grid, center);
        for (int k = 0; k < SIZE; k++) {
            if (n[k] == other) {
                return k;
            }
        }
        return -1;
    }

    /**
     * The context of {@code position}: its 8 neighbours' bytes concatenated in neighbour order,
     * zeros for a neighbour outside the grid. {@code patches} are the grid's patches in position
     * order, all of one length.
     */
    public static byte[] context(List<byte[]> patches, int grid, int position) {
        check(grid, position);
        if (patches.size() != grid * grid) {
            throw new IllegalArgumentException("a " + grid + "x" + grid + " grid has " + grid * grid + " patches, got "
                    + patches.size());
        }
        int len = patches.get(0).length;
        byte[] out = new byte[SIZE * len];
        int[] n = neighbours(grid, position);
        for (int k = 0; k < SIZE; k++) {
            if (n[k] >= 0) {
                byte[] p = patches.get(n[k]);
                if (p.length != len) {
                    throw new IllegalArgumentException("patch " + n[k] + " has " + p.length + " bytes, patch 0 has " + len);
                }
                System.arraycopy(p, 0, out, k * len, len);
            }
        }
        return out;
    }

    private static void check(int grid, int position) {
        if (grid < 1) {
            throw new IllegalArgumentException("grid must be >= 1, got " + grid);
        }
        if (position < 0 || position >= grid * grid) {
            throw new IllegalArgumentException("position must be in [0, " + grid * grid + "), got " + position);
        }
    }
}
