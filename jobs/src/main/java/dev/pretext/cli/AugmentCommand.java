package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Pipeline;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code augment}: materialise SimCLR views of an images table. */
@Command(name = "augment",
        header = "materialise SimCLR views (one row per image, epoch, view, with the drawn parameters)",
        description = """
                One row per (image, epoch, view) of the pre-training splits (data.pretrain-splits), 2
                views per epoch: the drawn parameters (crop box, flip, jitter factors and order,
                grayscale, blur sigma), the seed, and the pixels. The seed of a view is
                f(run.seed, image id, epoch, view), the same pure function the trainer uses on the fly,
                so both give identical pixels. The augmentation comes from the augment.* config keys
                (--set augment.KEY=VALUE).
                """)
final class AugmentCommand extends PretextCommand {
    @Option(names = "--images", required = true, paramLabel = "TABLE", description = "The images table.")
    String images;

    @Option(names = "--out", required = true, paramLabel = "TABLE", description = "The views table to write.")
    String out;

    @Option(names = "--epochs", paramLabel = "E", description = "Epochs of views (default: train.epochs).")
    Integer epochs;

    @Option(names = "--overwrite", description = "Replace an existing output table.")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master (spark.master).")
    String master;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        CliTables.checkOutput(out, overwrite);
        PretextConfig cfg = ConfigArgs.loadForTable(config, ConfigArgs.keys("spark.master", master), images);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-augment");
        try {
            Pipeline.materialiseViews(spark, cfg, images, out, epochs == null ? cfg.epochs : epochs, overwrite);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
