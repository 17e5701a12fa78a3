package dev.pretext.cli;

import java.util.Locale;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImagesTable;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.patches.PatchSettings;
import dev.pretext.patches.PatchesJob;
import dev.pretext.patches.PatchesResult;
import dev.pretext.spark.SparkSessions;
import dev.pretext.spark.TaskProgress;

/** {@code patches}: cut the images of a table into G x G patch grids. */
@Command(name = "patches",
        header = "cut images (or augmented views) into G x G patch grids with context neighbours and jigsaw sets",
        description = """
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
                """)
final class PatchesCommand extends PretextCommand {
    @Option(names = "--images", required = true, paramLabel = "TABLE", description = "The images table.")
    String images;

    @Option(names = "--out", required = true, paramLabel = "TABLE", description = "The patches table to write.")
    String out;

    @Option(names = "--grid", paramLabel = "G", description = "G x G patches (patches.grid).")
    Integer grid;

    @Option(names = "--gap", paramLabel = "P", description = "Pixels between patches (patches.gap).")
    Integer gap;

    @Option(names = "--jitter", paramLabel = "J", description = "Random shift of each patch inside its cell (patches.jitter).")
    Integer jitter;

    @Option(names = "--views", paramLabel = "D", description = "Augmented views per image (patches.views).")
    Integer views;

    @Option(names = "--no-original", description = "Only the views, not the image itself.")
    boolean noOriginal;

    @Option(names = "--permutations", paramLabel = "N", description = "A jigsaw set of N permutations, grid 3 (patches.permutations).")
    Integer permutations;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the views and the jigsaw set (patches.seed).")
    Long seed;

    @Option(names = "--shards", paramLabel = "N", description = "Output files (patches.shards).")
    Integer shards;

    @Option(names = "--overwrite", description = "Replace an existing output table.")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master (spark.master).")
    String master;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        CliTables.checkOutput(out, overwrite);
        PretextConfig cfg = ConfigArgs.load(config, ConfigArgs.keys("spark.master", master, "patches.grid", grid,
                "patches.gap", gap, "patches.jitter", jitter, "patches.views", views,
                "patches.permutations", permutations, "patches.seed", seed, "patches.shards", shards));
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-patches");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "patches")) {
            long t0 = System.nanoTime();
            int side = ImagesTable.read(spark, images).select("height").first().getInt(0);
            PatchSettings settings = new PatchSettings(cfg.patchGrid, cfg.patchGap, cfg.patchJitter, cfg.patchViews,
                    cfg.patchIncludeOriginal && !noOriginal, PretrainStage.augmentSpec(cfg, side),
                    cfg.patchSeed, cfg.patchPermutations, cfg.patchShards);
            PatchesResult r = PatchesJob.run(spark, images, out, settings, overwrite);
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "patches: %d images -> %d rows (%d per image, %s) into %s in %.1f s%n",
                    r.images(), r.rows(), r.rowsPerImage(), r.counts(), out, s);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
