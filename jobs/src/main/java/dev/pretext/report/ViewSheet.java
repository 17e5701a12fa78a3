package dev.pretext.report;

import dev.pretext.augment.AugmentSpec;
import dev.pretext.augment.View;
import dev.pretext.augment.ViewRecipe;
import dev.pretext.augment.ViewSeeds;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ContactSheet;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.method.PretextMethod;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * A contact sheet of what the encoder trained on: for a seeded sample of pre-training images, the
 * image and then its views of the first epoch, each drawn with the method's own recipes and the
 * seed the batch source gives it ({@link ViewSeeds#seed} of the run seed, id, epoch 0 and the view's
 * draw), so these are the pixels of the first epoch.
 */
final class ViewSheet {
    static final int IMAGES = 8;

    private ViewSheet() {
    }

    static ReportWriter.Figure figure(SparkSession spark, RunFiles run, long sampleSeed) {
        Optional<Path> table = run.imagesTable();
        Optional<PretextConfig> config;
        try {
            config = run.config();
        } catch (dev.pretext.UserError e) {
            return new ReportWriter.Figure("views.png", "training views", "The run's config.conf is not accepted by"
                    + " this version of Pretext, so its view recipes are unknown: " + e.getMessage(), null);
        }
        if (table.isEmpty() || config.isEmpty()) {
            return new ReportWriter.Figure("views.png", "training views", table.isEmpty()
                    ? "The run's images table is not on this machine (neither images/ in the run nor its data.table)."
                    : "No config.conf in the run: the views' recipes are unknown.", null);
        }
        PretextConfig cfg = config.get();
        String split = cfg.pretrainSplits.get(0);
        List<Row> rows = ImagesTable.read(spark, table.get().toString(), split)
                .orderBy(xxhash64(col("id"), lit(sampleSeed)), col("id")).limit(IMAGES).collectAsList();
        if (rows.isEmpty()) {
            return new ReportWriter.Figure("views.png", "training views", "No " + split + " images in " + table.get(),
                    null);
        }
        List<ImageRecord> images = rows.stream().map(ImageRows::fromRow).map(ImageRecord::toRaw).toList();
        PretextMethod method = cfg.method();
        AugmentSpec spec = PretrainStage.augmentSpec(cfg, images.get(0).height());
        List<ViewRecipe> recipes;
        try {
            recipes = method.views(spec);
        } catch (RuntimeException e) {
            recipes = List.of();   // a method without image views (patch tasks): the images alone
        }
        List<ContactSheet.Tile> tiles = new ArrayList<>();
        for (ImageRecord img : images) {
            tiles.add(new ContactSheet.Tile(img.height(), img.width(), rgb(img.data(), img.channels())));
            for (int v = 0; v < recipes.size(); v++) {
                View view = recipes.get(v).view(img, ViewSeeds.seed(cfg.seed, img.id(), 0, method.drawIndex(v)));
                tiles.add(new ContactSheet.Tile(view.height(), view.width(), rgb(view.pixels(), view.channels())));
            }
        }
        int size = Math.max(images.get(0).height(), images.get(0).width());
        int scale = Math.max(1, 96 / size);
        String caption = recipes.isEmpty()
                ? "Pre-training images (" + split + "); " + method.name() + " cuts its inputs from them itself."
                : "Each row: a " + split + " image, then its " + recipes.size() + " " + method.name()
                + " views of the first epoch (the run's recipes and seeds).";
        return new ReportWriter.Figure("views.png", "training views", caption,
                ReportWriter.png(ContactSheet.render(tiles, 1 + recipes.size(), scale)));
    }

    /** HWC bytes as RGB (grey repeated). */
    private static byte[] rgb(byte[] hwc, int channels) {
        if (channels == 3) {
            return hwc;
        }
        byte[] out = new byte[hwc.length / channels * 3];
        for (int i = 0, j = 0; i < hwc.length; i += channels, j += 3) {
            out[j] = out[j + 1] = out[j + 2] = hwc[i];
        }
        return out;
    }
}
