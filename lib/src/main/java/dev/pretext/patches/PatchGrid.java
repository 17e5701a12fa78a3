package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Cuts an image into a G x G grid of equal square patches, optionally with a gap between
 * neighbouring patches and a random jitter of each patch inside its cell (the jigsaw and
 * relative-position tasks use both so that a network cannot solve them from edge continuity).
 *
 * <p>Geometry, for an image of H x W pixels (see {@link #layout}):
 * <pre>
 *   cell   = floor(min(H, W) / G)              side of one grid cell
 *   size   = cell - gap                        side of every patch (must be >= 1)
 *   originY = floor((H - G*cell) / 2), originX = floor((W - G*cell) / 2)
 *                                             the G*cell square is centred; leftover rows and
 *                                             columns (at most G-1 plus the non-square excess) are unused
 *   y0(row) = originY + row*cell + floor(gap/2) + dy,  x0(col) likewise with dx
 * </pre>
 * Without jitter each patch sits centred in its cell (dy = dx = 0). With jitter j each patch draws
 * dy and dx uniformly from [-j, j]; j <= floor(gap/2) keeps every patch inside its own cell, so
 * patches never overlap. G=4, gap=0 on a 32x32 image gives sixteen 8x8 patches that tile it exactly.
 *
 * <p>The jitter is a pure function of the seed: a {@link SplittableRandom} seeded with it draws dy
 * then dx for each patch in row-major order, each as {@code ((nextLong() >>> 32) * (2j+1)) >>> 32}
 * minus j. Without jitter nothing is drawn.
 */
public final class PatchGrid implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int grid;
    private final int gap;
    private final int jitter;

    /**
     * @param grid   patches per side, >= 1
     * @param gap    pixels of each cell left out around its patch, >= 0
     * @param jitter largest random shift of a patch inside its cell, 0 <= jitter <= floor(gap/2)
     */
    public PatchGrid(int grid, int gap, int jitter) {
        if (grid < 1) {
            throw new UserError("patches.grid must be >= 1 (patches per side), got " + grid);
        }
        if (gap < 0) {
            throw new UserError("patches.gap must be >= 0 (pixels between neighbouring patches), got " + gap);
        }
        if (jitter < 0 || jitter > gap / 2) {
            throw new UserError("patches.jitter must be between 0 and floor(patches.gap / 2) = " + gap / 2
                    + " so that each patch stays inside its cell, got " + jitter);
        }
        this.grid = grid;
        this.gap = gap;
        this.jitter = jitter;
    }

    /** A G x G grid without gap or jitter (DV2, the context autoencoder). */
    public static PatchGrid plain(int grid) {
        return new PatchGrid(grid, 0, 0);
    }

    public int grid() {
        return grid;
    }

    public int gap() {
        return gap;
    }

    public int jitter() {
        return jitter;
    }

    /** Number of patches, G * G; position p is (row p / G, column p % G). */
    public int positions() {
        return grid * grid;
    }

    /** Smallest image side this grid can cut: G * (gap + 1), for patches of one pixel. */
    public int minSide() {
        return grid * (gap + 1);
    }

    /**
     * Where the cells lie in an image of this size (see the class comment).
     *
     * @param cell    side of one grid cell
     * @param size    side of every patch
     * @param originY top row of the grid
     * @param originX left column of the grid
     */
    public record Layout(int cell, int size, int originY, int originX) implements Serializable {
    }

    /** The layout for an H x W image; a {@link UserError} when the image is too small for this grid. */
    public Layout layout(int height, int width) {
        return layout(height, width, "an image");
    }

    private Layout layout(int height, int width, String what) {
        int cell = Math.min(height, width) / grid;
        int size = cell - gap;
        if (size < 1) {
            throw new UserError(what + " is " + width + "x" + height + " pixels: too small for a " + grid + "x" + grid
                    + " patch grid with gap " + gap + ", which needs at least " + minSide()
                    + " pixels on the shorter side (use a smaller patches.grid or patches.gap)");
        }
        return new Layout(cell, size, (height - grid * cell) / 2, (width - grid * cell) / 2);
    }

    /** The patches of a (raw, png or jpeg) image; {@code jitterSeed} matters only with jitter. */
    public List<Patch> cut(ImageRecord image, long jitterSeed) {
        ImageRecord raw = image.toRaw();
        return cut(raw.data(), raw.height(), raw.width(), raw.channels(), jitterSeed, "image " + raw.id());
    }

    /**
     * The G*G patches of a uint8 HWC image, in row-major position order.
     *
     * @param what names the image in error messages, e.g. {@code image cifar10/train/000042}
     */
    public List<Patch> cut(byte[] hwc, int height, int width, int channels, long jitterSeed, String what) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new UserError(what + ": size " + width + "x" + height + "x" + channels + "; expected at least 1x1x1");
        }
        long expected = (long) height * width * channels;
        if (hwc == null || hwc.length != expected) {
            throw new UserError(what + ": data has " + (hwc == null ? "no" : hwc.length)
                    + " bytes; expected height*width*channels = " + expected + " (uint8 HWC)");
        }
        Layout l = layout(height, width, what);
        int base = gap / 2;
        SplittableRandom rng = jitter > 0 ? new SplittableRandom(jitterSeed) : null;
        int rowBytes = l.size() * channels;
        List<Patch> out = new ArrayList<>(positions());
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                int dy = rng == null ? 0 : shift(rng);
                int dx = rng == null ? 0 : shift(rng);
                int y0 = l.originY() + r * l.cell() + base + dy;
                int x0 = l.originX() + c * l.cell() + base + dx;
                byte[] data = new byte[l.size() * rowBytes];
                for (int y = 0; y < l.size(); y++) {
                    System.arraycopy(hwc, ((y0 + y) * width + x0) * channels, data, y * rowBytes, rowBytes);
                }
                out.add(new Patch(r, c, y0, x0, l.size(), channels, data));
            }
        }
        return out;
    }

    /** Uniform in [-jitter, jitter] by multiply-shift on 32 random bits (fixed algorithm, unlike nextInt(bound)). */
    private int shift(SplittableRandom rng) {
        return (int) (((rng.nextLong() >>> 32) * (2L * jitter + 1)) >>> 32) - jitter;
    }

    /**
     * Pastes patches back at their recorded boxes onto a zero H x W x C canvas. Without gap, and
     * with H = W divisible by G, this reproduces the image the patches were cut from; otherwise
     * pixels no patch covers stay 0.
     */
    public static byte[] reassemble(List<Patch> patches, int height, int width, int channels) {
        byte[] out = new byte[height * width * channels];
        for (Patch p : patches) {
            if (p.channels() != channels || p.y0() < 0 || p.x0() < 0 || p.y0() + p.size() > height
                    || p.x0() + p.size() > width) {
                throw new IllegalArgumentException("patch (" + p.row() + "," + p.col() + ") at y0=" + p.y0() + " x0="
                        + p.x0() + " size " + p.size() + "x" + p.channels() + " does not fit a " + width + "x" + height
                        + "x" + channels + " canvas");
            }
            int rowBytes = p.size() * channels;
            for (int y = 0; y < p.size(); y++) {
                System.arraycopy(p.data(), y * rowBytes, out, ((p.y0() + y) * width + p.x0()) * channels, rowBytes);
            }
        }
        return out;
    }
}
