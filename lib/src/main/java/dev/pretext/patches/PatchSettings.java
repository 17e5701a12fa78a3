package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the patches job cuts. Error messages name the config key ({@code patches.*}).
 *
 * @param grid            patches per side (DV2 and the context autoencoder: 4; jigsaw and relative position: 3)
 * @param gap             pixels of each cell left out around its patch (see {@link PatchGrid})
 * @param jitter          largest random shift of a patch inside its cell, at most floor(gap / 2)
 * @param views           augmented views per image, D (DV2: 4); view v is
 *                        {@code SimClrAugment(augment).view(image, ViewSeeds.seed(seed, id, 0, v))}
 * @param includeOriginal also cut the image itself (view -1)
 * @param augment         the view recipe; only used when views > 0
 * @param seed            base seed of the views, the jitter and the jigsaw permutations
 * @param permutations    jigsaw classes to generate and store in the manifest; 0 = none; needs grid 3
 * @param shards          Parquet files of the table
 */
public record PatchSettings(int grid, int gap, int jitter, int views, boolean includeOriginal, AugmentSpec augment,
                            long seed, int permutations, int shards) implements Serializable {

    private static final long serialVersionUID = 1L;

    public PatchSettings {
        new PatchGrid(grid, gap, jitter); // validates grid, gap, jitter with the user-facing messages
        if (views < 0) {
            throw new UserError("patches.views must be >= 0 (augmented views per image; 0 = the image only), got " + views);
        }
        if (views == 0 && !includeOriginal) {
            throw new UserError("patches.views is 0 and patches.include-original is false: nothing to cut; set views > 0 "
                    + "or include the original");
        }
        if (views > 0 && augment == null) {
            throw new UserError("patches.views is " + views + " but no augmentation recipe (augment.*) is given");
        }
        if (permutations < 0 || permutations > JigsawPermutations.ALL) {
            throw new UserError("patches.permutations must be between 0 (no jigsaw) and 9! = " + JigsawPermutations.ALL
                    + ", got " + permutations);
        }
        if (permutations > 0 && grid != 3) {
            throw new UserError("patches.permutations > 0 (jigsaw) needs patches.grid = 3 (9 tiles), got grid " + grid);
        }
        if (shards < 1) {
            throw new UserError("patches.shards must be >= 1, got " + shards);
        }
    }

    /** 4 x 4 without gap, the image only, seed 0, one shard; views (if turned on) use SimCLR's CIFAR recipe. */
    public static PatchSettings defaults() {
        return new PatchSettings(4, 0, 0, 0, true, AugmentSpec.cifar(), 0L, 0, 1);
    }

    /** DV2: 4 x 4 patches of each of D augmented views (the paper: D = 4), without the original. */
    public static PatchSettings dv2(int views, AugmentSpec augment) {
        return new PatchSettings(4, 0, 0, views, false, augment, 0L, 0, 1);
    }

    /** Jigsaw: 3 x 3 with gap and jitter, and {@code permutations} classes in the manifest. */
    public static PatchSettings jigsaw(int gap, int jitter, int permutations) {
        return new PatchSettings(3, gap, jitter, 0, true, AugmentSpec.cifar(), 0L, permutations, 1);
    }

    public PatchSettings withGrid(int grid, int gap, int jitter) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchSettings withViews(int views, boolean includeOriginal) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchSettings withAugment(AugmentSpec augment) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchSettings withSeed(long seed) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchSettings withPermutations(int permutations) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchSettings withShards(int shards) {
        return new PatchSettings(grid, gap, jitter, views, includeOriginal, augment, seed, permutations, shards);
    }

    public PatchGrid patchGrid() {
        return new PatchGrid(grid, gap, jitter);
    }

    /** Rows per image: one per view, plus one for the original when included. */
    public int rowsPerImage() {
        return views + (includeOriginal ? 1 : 0);
    }

    /** The settings as manifest metadata (JSON-friendly: numbers, booleans, strings, maps). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("grid", grid);
        m.put("gap", gap);
        m.put("jitter", jitter);
        m.put("views", views);
        m.put("include_original", includeOriginal);
        m.put("seed", seed);
        m.put("permutations", permutations);
        m.put("shards", shards);
        if (views > 0) {
            Map<String, Object> a = new LinkedHashMap<>();
            for (var c : AugmentSpec.class.getRecordComponents()) {
                try {
                    a.put(c.getName(), c.getAccessor().invoke(augment));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read augment." + c.getName(), e);
                }
            }
            m.put("augment", a);
        }
        return m;
    }
}
