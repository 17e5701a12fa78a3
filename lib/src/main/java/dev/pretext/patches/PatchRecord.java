package dev.pretext.patches;

import dev.pretext.data.ContactSheet;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One row of the patches table: all G*G patches of one view of one image (see {@link PatchRows}
 * for why a row holds a whole grid).
 *
 * @param id         image id (as in the images table)
 * @param split      split of the image
 * @param label      class of the image, -1 when unlabeled
 * @param view       -1 for the image itself, v >= 0 for its v-th augmented view
 * @param viewSeed   the augmentation seed of view v ({@code ViewSeeds.seed(seed, id, 0, v)}); null for view -1
 * @param jitterSeed the seed the patch jitter was drawn from ({@link ImagePatcher#jitterSeed})
 * @param height     rows of the image (or view) the patches were cut from
 * @param width      its columns
 * @param channels   channels per pixel
 * @param grid       G, patches per side
 * @param gap        the grid's gap
 * @param size       side of every patch
 * @param y0         top row of each patch, in position order (position = row * G + col)
 * @param x0         left column of each patch, in position order
 * @param patches    each patch's uint8 HWC bytes (size * size * channels), in position order
 */
public record PatchRecord(String id, String split, int label, int view, Long viewSeed, long jitterSeed,
                          int height, int width, int channels, int grid, int gap, int size,
                          int[] y0, int[] x0, List<byte[]> patches) implements Serializable {

    private static final long serialVersionUID = 1L;

    public PatchRecord {
        int n = grid * grid;
        if (y0.length != n || x0.length != n || patches.size() != n) {
            throw new IllegalArgumentException("record " + id + " view " + view + ": a " + grid + "x" + grid + " grid needs "
                    + n + " patches and boxes, got " + patches.size() + " patches, " + y0.length + " y0, " + x0.length
                    + " x0");
        }
        patches = List.copyOf(patches);
    }

    /** Builds a record from patches in position order (as {@link PatchGrid#cut} returns them). */
    public static PatchRecord of(String id, String split, int label, int view, Long viewSeed, long jitterSeed,
                                 int height, int width, int channels, PatchGrid grid, List<Patch> cut) {
        int n = cut.size();
        int[] y0 = new int[n], x0 = new int[n];
        List<byte[]> data = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            y0[i] = cut.get(i).y0();
            x0[i] = cut.get(i).x0();
            data.add(cut.get(i).data());
        }
        return new PatchRecord(id, split, label, view, viewSeed, jitterSeed, height, width, channels, grid.grid(),
                grid.gap(), cut.get(0).size(), y0, x0, data);
    }

    public int positions() {
        return grid * grid;
    }

    /** The patch at row-major {@code position}. */
    public Patch patch(int position) {
        return new Patch(position / grid, position % grid, y0[position], x0[position], size, channels,
                patches.get(position));
    }

    /** All patches in position order. */
    public List<Patch> patchList() {
        List<Patch> out = new ArrayList<>(positions());
        for (int p = 0; p < positions(); p++) {
            out.add(patch(p));
        }
        return out;
    }

    /** The 8 neighbours of {@code position}, concatenated in {@link ContextNeighbourhood} order, zeros outside. */
    public byte[] context(int position) {
        return ContextNeighbourhood.context(patches, grid, position);
    }

    /** The patches pasted back at their boxes on a zero canvas of the source size (see {@link PatchGrid#reassemble}). */
    public byte[] reassemble() {
        return PatchGrid.reassemble(patchList(), height, width, channels);
    }

    /**
     * A contact-sheet tile showing the grid exploded: patches in their grid order, {@code spacing}
     * white pixels apart, so that gap and jitter do not hide where one patch ends. Gray images are
     * drawn as RGB.
     */
    public ContactSheet.Tile explodedTile(int spacing) {
        if (spacing < 0) {
            throw new IllegalArgumentException("spacing must be >= 0, got " + spacing);
        }
        int side = grid * size + (grid - 1) * spacing;
        byte[] rgb = new byte[side * side * 3];
        Arrays.fill(rgb, (byte) 255);
        for (int p = 0; p < positions(); p++) {
            int top = (p / grid) * (size + spacing), left = (p % grid) * (size + spacing);
            byte[] src = patches.get(p);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int o = ((top + y) * side + left + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[o + c] = src[(y * size + x) * channels + Math.min(c, channels - 1)];
                    }
                }
            }
        }
        return new ContactSheet.Tile(side, side, rgb);
    }
}
