package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.FeaturesStage;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code features}: frozen encoder features of the labelled splits. */
@Command(name = "features",
        header = "frozen encoder features (global-average-pooled backbone output) as a features table",
        description = """
                Loads the latest complete checkpoint of the --run directory (and its config.conf),
                computes the encoder's features of the train and test splits of TABLE on the
                executors, and writes the features table (id, split, label, layer, vector) to
                OUT/pretrained, where OUT is the --out directory. With --baselines also
                OUT/random_init (same architecture, fresh initialisation) and OUT/raw_pixels.
                data.format is TABLE's (its manifest); --set data.format may not contradict it.
                """)
final class FeaturesCommand extends PretextCommand {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run directory (local or hdfs://).")
    String runDir;

    @Option(names = "--images", required = true, paramLabel = "TABLE", description = "The images table.")
    String images;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the features tables go.")
    String out;

    @Option(names = "--baselines", description = "Also the random-init encoder's and the raw pixels' features.")
    boolean baselines;

    @Option(names = "--overwrite", description = "Replace existing features tables.")
    boolean overwrite;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        FsDir run = FsDir.of(runDir);
        CliTables.checkOutput(out + "/" + FeaturesStage.PRETRAINED, overwrite);
        if (baselines) {
            CliTables.checkOutput(out + "/" + FeaturesStage.RANDOM_INIT, overwrite);
            CliTables.checkOutput(out + "/" + FeaturesStage.RAW_PIXELS, overwrite);
        }
        PretextConfig cfg = runConfig(run, config, images);
        System.err.println("features: " + CpuAcceleration.enable().describe());
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-features");
        try {
            Dataset<Row> labelled = FeaturesStage.labelled(spark, images, cfg.testSplit).cache();
            FeaturesStage.write(spark, FeaturesStage.PRETRAINED, labelled, FeaturesStage.pretrained(run), cfg,
                    out + "/" + FeaturesStage.PRETRAINED, overwrite);
            if (baselines) {
                Row first = labelled.select("height", "width").first();
                FeaturesStage.write(spark, FeaturesStage.RANDOM_INIT, labelled,
                        FeaturesStage.randomInit(cfg, first.getInt(0), first.getInt(1)), cfg,
                        out + "/" + FeaturesStage.RANDOM_INIT, overwrite);
                FeaturesStage.write(spark, FeaturesStage.RAW_PIXELS, labelled, null, cfg,
                        out + "/" + FeaturesStage.RAW_PIXELS, overwrite);
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * The run's saved config (so the features match its normalisation and architecture), the images
     * table's format (its manifest), then --conf and --set (which may not name another format).
     */
    static PretextConfig runConfig(FsDir run, ConfigOptions config, String images) {
        return ConfigArgs.loadForTable(savedConfig(run), config, Map.of(), images);
    }

    /**
     * The run's {@code config.conf} as a config layer (a local copy when the run is on another file
     * system), without its redacted values (those come from the defaults, --conf and --set again);
     * empty when the run has none.
     */
    static List<File> savedConfig(FsDir run) {
        List<File> base = new ArrayList<>();
        FsDir conf = run.child("config.conf");
        if (!conf.isFile()) {
            return base;
        }
        try {
            Path copy = Files.createTempFile("pretext-run-config-", ".conf");
            copy.toFile().deleteOnExit();
            Files.writeString(copy, Secrets.withoutRedacted(conf.readString()));
            base.add(copy.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + conf, e);
        }
        return base;
    }
}
