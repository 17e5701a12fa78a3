package dev.pretext.patches;

import dev.pretext.augment.SimClrAugment;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.data.ImageRecord;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The patches table's rows for one image, as a pure function of (image, settings): the same on
 * the driver, on any executor and on a re-run, so a trainer may also cut patches on the fly.
 *
 * <p>View -1 is the image itself (when included); view v in [0, D) is
 * {@code new SimClrAugment(augment).view(image, ViewSeeds.seed(seed, id, 0, v))}, exactly the
 * pixels the views table holds for epoch 0, view v with the same base seed. Each view is cut with
 * its own jitter seed, {@link #jitterSeed}.
 */
public final class ImagePatcher implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Moves jitter seeds to a stream of their own, unrelated to any view seed ("jitter" in ASCII). */
    static final long JITTER_SALT = 0x6A69747465720000L;

    private final PatchSettings settings;
    private final PatchGrid grid;
    private final SimClrAugment augment;

    public ImagePatcher(PatchSettings settings) {
        this.settings = settings;
        this.grid = settings.patchGrid();
        this.augment = settings.views() > 0 ? new SimClrAugment(settings.augment()) : null;
    }

    public PatchSettings settings() {
        return settings;
    }

    /**
     * The seed of the patch jitter of one view of one image:
     * {@code ViewSeeds.seed(seed + 0x6A69747465720000, id, 0, view + 1)} (view -1 = the image itself).
     */
    public static long jitterSeed(long seed, String imageId, int view) {
        return ViewSeeds.seed(seed + JITTER_SALT, imageId, 0, view + 1);
    }

    /** The rows of one image (raw, png or jpeg): the original first when included, then views 0..D-1. */
    public List<PatchRecord> patch(ImageRecord image) {
        ImageRecord raw = image.toRaw();
        List<PatchRecord> out = new ArrayList<>(settings.rowsPerImage());
        if (settings.includeOriginal()) {
            out.add(cut(raw, -1, null, raw.height(), raw.width(), raw.data()));
        }
        for (int v = 0; v < settings.views(); v++) {
            long seed = ViewSeeds.seed(settings.seed(), raw.id(), 0, v);
            View view = augment.view(raw, seed);
            out.add(cut(raw, v, seed, view.height(), view.width(), view.pixels()));
        }
        return out;
    }

    private PatchRecord cut(ImageRecord image, int view, Long viewSeed, int height, int width, byte[] pixels) {
        long jitterSeed = jitterSeed(settings.seed(), image.id(), view);
        String what = "image " + image.id() + (view < 0 ? "" : " (view " + view + ")");
        List<Patch> patches = grid.cut(pixels, height, width, image.channels(), jitterSeed, what);
        return PatchRecord.of(image.id(), image.split(), image.label(), view, viewSeed, jitterSeed, height, width,
                image.channels(), grid, patches);
    }
}
