package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.FsDir;
import dev.pretext.data.Manifest;
import dev.pretext.jobs.FinetuneStage;
import dev.pretext.jobs.RunLock;
import dev.pretext.jobs.RunReport;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import dev.pretext.train.Checkpoints;
import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code finetune}: the run's encoder + a linear head trained on a labelled fraction, beside random init. */
@Command(name = "finetune",
        header = "fine-tune the run's encoder + a linear head on a labelled fraction, beside random init",
        description = """
                Fine-tuning as an evaluation: the encoder of the run's latest complete checkpoint (up
                to its embedding) plus a new linear softmax head, all trained with the paramavg
                trainer and Adam (eval.finetune.lr, constant, no weight decay) for eval.finetune.epochs
                epochs of eval.finetune.batch-size images, on F of the labelled train split (F in
                (0, 1], e.g. 0.01, 0.1, 1.0): a seeded sample of F of each class (run.seed), of which
                eval.finetune.val-fraction (10%%) is held out to pick the epoch (the best validation
                top-1). Augmentation: random resized crop (eval.finetune.augment.crop-scale-min..max)
                and horizontal flip, no colour changes. The kept parameters are scored top-1 and
                top-5 on the test split (eval.test-split); the last epoch's scores are reported too.
                With eval.finetune.random-init (default true) the same architecture, freshly
                initialised with run.seed, is fine-tuned the same way: the baseline that shows what
                pre-training adds.

                TABLE defaults to the run's images table (DIR/images, or data.table of its
                config.conf). The config is the run's config.conf, then --conf and --set (e.g.
                --set eval.finetune.epochs=20). Writes DIR/finetune-F.json and prints the table of
                fine-tuned vs random-init, with the run's frozen linear probe from DIR/report.json.
                Refused (exit 2): a run without a checkpoint, F outside (0, 1], a table without
                labelled train or test images. DIR/.lock keeps a running pipeline out meanwhile.
                """)
final class FinetuneCommand extends PretextCommand {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "The pre-training run (local or hdfs://).")
    String runDir;

    @Option(names = "--labels-fraction", required = true, paramLabel = "F",
            description = "The share of each class's labelled training images, in (0, 1], e.g. 0.01, 0.1 or 1.0.")
    String labelsFraction;

    @Option(names = "--images", paramLabel = "TABLE", description = "The images table (default: the run's).")
    String imagesTable;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        FsDir run = FsDir.of(runDir);
        double fraction = fraction(labelsFraction);
        if (!run.isDirectory()) {
            throw new UserError("finetune: run directory " + run + " does not exist");
        }
        if (Checkpoints.findLatest(run).isEmpty()) {
            throw new UserError("finetune: run " + run + " has no complete checkpoint (checkpoints/epoch-NNNN with"
                    + " model.zip): pre-train it first (bin/pretext pipeline or pretrain)");
        }
        String images = images(run, imagesTable);
        PretextConfig cfg = FeaturesCommand.runConfig(run, config, images);
        try (RunLock ignored = RunLock.acquire(run, run.name())) {
            System.err.println("finetune: " + CpuAcceleration.enable().describe());
            SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-finetune");
            try {
                Map<String, Object> result = FinetuneStage.run(spark, cfg, images, run, fraction,
                        new LinkedHashMap<>());
                System.err.println("finetune: wrote " + FinetuneStage.file(run, fraction));
                Map<String, Object> one = new LinkedHashMap<>();
                one.put(FinetuneStage.key(fraction), result);
                Object probe = result.get("linear_probe");
                System.out.print(RunReport.finetuneTable(one, cfg.backbone + " (" + cfg.methodName + ")",
                        cfg.backbone, probe instanceof Map<?, ?> m ? m : null));
                return 0;
            } finally {
                spark.stop();
            }
        }
    }

    /** The --labels-fraction value, in (0, 1]. */
    static double fraction(String text) {
        double f;
        try {
            f = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new UserError("finetune: --labels-fraction '" + text + "' is not a number; give a fraction in"
                    + " (0, 1], e.g. 0.01, 0.1 or 1.0");
        }
        if (!(f > 0 && f <= 1)) {
            throw new UserError("finetune: --labels-fraction " + text + " is outside (0, 1]; give the share of each"
                    + " class's labelled training images, e.g. 0.01, 0.1 or 1.0");
        }
        return f;
    }

    /** --images, else the run's own images table, else data.table of its config.conf. */
    static String images(FsDir run, String given) {
        if (given != null) {
            return given;
        }
        if (run.child("images").child(Manifest.FILE_NAME).exists()) {
            return run.child("images").toString();
        }
        List<File> conf = FeaturesCommand.savedConfig(run);
        if (!conf.isEmpty()) {
            String table = ConfigLoader.load(conf, List.of()).dataTable;
            if (!table.isEmpty()) {
                return table;
            }
        }
        throw new UserError("finetune: run " + run + " has no images table of its own (images/) and its config names"
                + " no data.table; give --images TABLE");
    }
}
