package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Pipeline;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.jobs.ResumeConfig;
import dev.pretext.jobs.RunLock;
import dev.pretext.train.Checkpoints;
import dev.pretext.nn.CpuAcceleration;
import dev.pretext.spark.SparkSessions;
import dev.pretext.train.RunSummary;
import org.apache.spark.sql.SparkSession;

import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pretrain}: self-supervised pre-training on an images table into a run directory. */
@Command(name = "pretrain",
        header = "pre-train an encoder (method.name) on an images table with a DL4J Spark trainer",
        description = """
                Trains the method of method.name with train.trainer (paramavg | shared) on the
                pre-training splits of TABLE, augmenting on the fly (or from a materialised views
                TABLE). Writes DIR/metrics.jsonl, DIR/checkpoints/epoch-NNNN (model + updater +
                trainer state, written atomically after every epoch) and DIR/summary.json.
                --resume continues from the latest complete checkpoint; only train.epochs,
                train.max-seconds, eval.* and spark.* may differ from DIR/config.conf then.
                train.max-seconds bounds the wall-clock time; a NaN loss or a collapsed embedding
                stops the run with a message and keeps the last good checkpoint. DIR/.lock keeps a
                second process out of DIR while this one runs.
                """)
final class PretrainCommand extends PretextCommand {
    @Option(names = "--images", required = true, paramLabel = "TABLE", description = "The images table.")
    String images;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run directory (local or hdfs://).")
    String runDir;

    @Option(names = "--views", paramLabel = "TABLE", description = "A materialised views table (augment) to train on.")
    String views;

    @Option(names = "--resume", description = "Continue from DIR's latest complete checkpoint.")
    boolean resume;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        FsDir run = FsDir.of(runDir);
        PretextConfig cfg = ConfigArgs.loadForTable(config, Map.of(), images);
        String name = run.name();
        try (RunLock ignored = RunLock.acquire(run, name)) {
            // accepted before anything in the run directory changes
            FsDir conf = run.child("config.conf");
            boolean hasCheckpoint = Checkpoints.findLatest(run).isPresent();
            if (hasCheckpoint && !resume) {
                throw new UserError("pretrain: run directory " + run + " already holds checkpoints; add --resume"
                        + " to continue it, or give a new --run");
            }
            String rendered = Secrets.redactedConfig(cfg.render());
            if (resume && conf.exists()) {
                ResumeConfig.check(name, conf.readString(), rendered);
            }
            if (resume) {
                System.err.println("pretrain: resuming " + run + " from " + Pipeline.resumePoint(run));
            }
            conf.writeAtomically(rendered);
            List<String> again = new ArrayList<>(List.of(name()));
            again.addAll(List.of(argv()));
            if (!resume) {
                again.add("--resume");
            }
            Interrupts.context(() -> Checkpoints.findLatest(run)
                    .map(c -> "kept checkpoint " + c.dir() + "; resume with: " + Interrupts.commandLine(again))
                    .orElse("no checkpoint was written yet; run it again with: "
                            + Interrupts.commandLine(again)));
            System.err.println("pretrain: " + CpuAcceleration.enable().describe());
            SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-pretrain");
            try {
                RunSummary s = PretrainStage.run(spark, cfg, images, views, run, resume);
                System.err.printf("pretrain: %s after %d epochs, %.0f s, %.1f images/s, final loss %.4f%n",
                        s.stoppedReason(), s.epochsCompleted(), s.seconds(), s.imagesPerS(), s.finalLoss());
                return 0;
            } finally {
                spark.stop();
            }
        }
    }
}
