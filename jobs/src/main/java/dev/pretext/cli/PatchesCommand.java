package dev.pretext.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.spark.sql.SparkSession;

import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImagesTable;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.patches.PatchSettings;
import dev.pretext.patches.PatchesJob;
import dev.pretext.patches.PatchesResult;
import dev.pretext.spark.SparkSessions;
import dev.pretext.spark.TaskProgress;

/** {@code patches}: cut the images of a table into G x G patch grids. */
final class PatchesCommand implements Command {
    private static final Map<String, String> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("master", "spark.master");
        KEYS.put("grid", "patches.grid");
        KEYS.put("gap", "patches.gap");
        KEYS.put("jitter", "patches.jitter");
        KEYS.put("views", "patches.views");
        KEYS.put("permutations", "patches.permutations");
        KEYS.put("seed", "patches.seed");
        KEYS.put("shards", "patches.shards");
    }

    @Override
    public String name() {
        return "patches";
    }

    @Override
    public String summary() {
        return "cut images (or augmented views) into G x G patch grids with context neighbours and jigsaw sets";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext patches --images TABLE --out TABLE [--grid G] [--gap P] [--jitter J]
                                           [--views D] [--no-original] [--permutations N] [--seed S]
                                           [--shards N] [--overwrite] [--conf FILE]... [--set patches.KEY=V]...

                One row per (image, view): the G x G patches of the image (view -1) and of D augmented
                views (each drawn with the augment.* recipe from a seed f(seed, id, view)), as uint8
                HWC arrays indexed row * G + col, with each patch's box. Patches are square:
                cell = floor(min(H, W) / G), patch = cell - gap, the grid centred in the image; jitter
                shifts each patch by up to J pixels inside its cell. The manifest lists the 8 context
                neighbours of every position (clockwise from top-left, -1 outside the grid: a zero
                patch) and, with --permutations N (grid 3), a seeded jigsaw set of N permutations
                chosen for maximal Hamming distance with its minimum and mean distance.
                Defaults: the patches.* config keys (grid 4, the image only).
                  DV2:               --grid 4 --views 4 --no-original
                  context autoencoder: --grid 4
                  jigsaw:            --grid 3 --gap 6 --jitter 3 --permutations 100
                """;
    }

    @Override
    public int run(String[] argv) {
        Set<String> valued = new java.util.HashSet<>(KEYS.keySet());
        valued.addAll(Set.of("images", "out"));
        Args a = Args.parse(name(), argv, valued, Set.of("overwrite", "no-original"));
        String images = a.require("images");
        String out = a.require("out");
        CliTables.checkOutput(out, a.flag("overwrite"));
        PretextConfig cfg = ConfigArgs.load(a, KEYS);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-patches");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "patches")) {
            long t0 = System.nanoTime();
            int side = ImagesTable.read(spark, images).select("height").first().getInt(0);
            PatchSettings settings = new PatchSettings(cfg.patchGrid, cfg.patchGap, cfg.patchJitter, cfg.patchViews,
                    cfg.patchIncludeOriginal && !a.flag("no-original"), PretrainStage.augmentSpec(cfg, side),
                    cfg.patchSeed, cfg.patchPermutations, cfg.patchShards);
            PatchesResult r = PatchesJob.run(spark, images, out, settings, a.flag("overwrite"));
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "patches: %d images -> %d rows (%d per image, %s) into %s in %.1f s%n",
                    r.images(), r.rows(), r.rowsPerImage(), r.counts(), out, s);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
