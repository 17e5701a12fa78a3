package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.FeaturesStage;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code features}: frozen encoder features of the labelled splits. */
final class FeaturesCommand implements Command {
    @Override
    public String name() {
        return "features";
    }

    @Override
    public String summary() {
        return "frozen encoder features (global-average-pooled backbone output) as a features table";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext features --run DIR --images TABLE --out DIR [--baselines] [--overwrite]
                                            [--conf FILE]... [--set key=value]...

                Loads the latest complete checkpoint of the --run directory (and its config.conf),
                computes the encoder's features of the train and test splits of TABLE on the
                executors, and writes the features table (id, split, label, layer, vector) to
                OUT/pretrained, where OUT is the --out directory. With --baselines also
                OUT/random_init (same architecture, fresh initialisation) and OUT/raw_pixels. data.format is TABLE's (its manifest); --set data.format may not
                contradict it.
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of("run", "images", "out"), Set.of("baselines", "overwrite"));
        Path run = Path.of(a.require("run")).toAbsolutePath();
        String images = a.require("images");
        String out = a.require("out");
        CliTables.checkOutput(out + "/" + FeaturesStage.PRETRAINED, a.flag("overwrite"));
        if (a.flag("baselines")) {
            CliTables.checkOutput(out + "/" + FeaturesStage.RANDOM_INIT, a.flag("overwrite"));
            CliTables.checkOutput(out + "/" + FeaturesStage.RAW_PIXELS, a.flag("overwrite"));
        }
        PretextConfig cfg = runConfig(run, a, images);
        System.err.println("features: " + CpuAcceleration.enable().describe());
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-features");
        try {
            Dataset<Row> labelled = FeaturesStage.labelled(spark, images, cfg.testSplit).cache();
            FeaturesStage.write(spark, FeaturesStage.PRETRAINED, labelled, FeaturesStage.pretrained(run), cfg,
                    out + "/" + FeaturesStage.PRETRAINED, a.flag("overwrite"));
            if (a.flag("baselines")) {
                Row first = labelled.select("height", "width").first();
                FeaturesStage.write(spark, FeaturesStage.RANDOM_INIT, labelled,
                        FeaturesStage.randomInit(cfg, first.getInt(0), first.getInt(1)), cfg,
                        out + "/" + FeaturesStage.RANDOM_INIT, a.flag("overwrite"));
                FeaturesStage.write(spark, FeaturesStage.RAW_PIXELS, labelled, null, cfg,
                        out + "/" + FeaturesStage.RAW_PIXELS, a.flag("overwrite"));
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
    static PretextConfig runConfig(Path run, Args a, String images) {
        List<File> base = new ArrayList<>();
        if (Files.isRegularFile(run.resolve("config.conf"))) {
            base.add(run.resolve("config.conf").toFile());
        }
        return ConfigArgs.loadForTable(base, a, Map.of(), images);
    }
}
