package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Pipeline;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.util.Map;
import java.util.Set;

/** {@code augment}: materialise SimCLR views of an images table. */
final class AugmentCommand implements Command {
    @Override
    public String name() {
        return "augment";
    }

    @Override
    public String summary() {
        return "materialise SimCLR views (one row per image, epoch, view, with the drawn parameters)";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext augment --images TABLE --out TABLE [--epochs E] [--overwrite]
                                           [--conf FILE]... [--set augment.KEY=VALUE]...

                One row per (image, epoch, view) of the pre-training splits (data.pretrain-splits), 2
                views per epoch: the drawn parameters (crop box, flip, jitter factors and order,
                grayscale, blur sigma), the seed, and the pixels. The seed of a view is
                f(run.seed, image id, epoch, view), the same pure function the trainer uses on the fly,
                so both give identical pixels. The augmentation comes from the augment.* config keys.
                Default epochs: train.epochs.
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of("images", "out", "epochs", "master"), Set.of("overwrite"));
        String images = a.require("images");
        String out = a.require("out");
        CliTables.checkOutput(out, a.flag("overwrite"));
        PretextConfig cfg = ConfigArgs.loadForTable(a, Map.of("master", "spark.master"), images);
        int epochs = a.intValue("epochs", cfg.epochs);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-augment");
        try {
            Pipeline.materialiseViews(spark, cfg, images, out, epochs, a.flag("overwrite"));
            return 0;
        } finally {
            spark.stop();
        }
    }
}
