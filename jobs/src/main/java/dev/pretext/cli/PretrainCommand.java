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
import java.util.Set;

/** {@code pretrain}: self-supervised pre-training on an images table into a run directory. */
final class PretrainCommand implements Command {
    @Override
    public String name() {
        return "pretrain";
    }

    @Override
    public String summary() {
        return "pre-train an encoder (SimCLR) on an images table with a DL4J Spark trainer";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext pretrain --images TABLE --run DIR [--views TABLE] [--resume]
                                            [--conf FILE]... [--set key=value]...

                Trains the method of method.name with train.trainer (paramavg | shared) on the
                pre-training splits of TABLE, augmenting on the fly (or from a materialised views
                TABLE). Writes DIR/metrics.jsonl, DIR/checkpoints/epoch-NNNN (model + updater +
                trainer state, written atomically after every epoch) and DIR/summary.json.
                --resume continues from the latest complete checkpoint; only train.epochs,
                train.max-seconds, eval.* and spark.* may differ from DIR/config.conf then.
                train.max-seconds bounds the wall-clock time; a NaN loss or a collapsed embedding
                stops the run with a message and keeps the last good checkpoint. DIR/.lock keeps a
                second process out of DIR while this one runs.
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("images", "run", "views"), Set.of("resume"));
        String images = a.require("images");
        FsDir run = FsDir.of(a.require("run"));
        PretextConfig cfg = ConfigArgs.loadForTable(a, Map.of(), images);
        String name = run.name();
        try (RunLock ignored = RunLock.acquire(run, name)) {
            // accepted before anything in the run directory changes
            FsDir conf = run.child("config.conf");
            boolean hasCheckpoint = Checkpoints.findLatest(run).isPresent();
            if (hasCheckpoint && !a.flag("resume")) {
                throw new UserError("pretrain: run directory " + run + " already holds checkpoints; add --resume"
                        + " to continue it, or give a new --run");
            }
            String rendered = Secrets.redactedConfig(cfg.render());
            if (a.flag("resume") && conf.exists()) {
                ResumeConfig.check(name, conf.readString(), rendered);
            }
            if (a.flag("resume")) {
                System.err.println("pretrain: resuming " + run + " from " + Pipeline.resumePoint(run));
            }
            conf.writeAtomically(rendered);
            List<String> resume = new ArrayList<>(List.of(name()));
            resume.addAll(List.of(argv));
            if (!a.flag("resume")) {
                resume.add("--resume");
            }
            Interrupts.context(() -> Checkpoints.findLatest(run)
                    .map(c -> "kept checkpoint " + c.dir() + "; resume with: " + Interrupts.commandLine(resume))
                    .orElse("no checkpoint was written yet; run it again with: "
                            + Interrupts.commandLine(resume)));
            System.err.println("pretrain: " + CpuAcceleration.enable().describe());
            SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-pretrain");
            try {
                RunSummary s = PretrainStage.run(spark, cfg, images, a.get("views"), run, a.flag("resume"));
                System.err.printf("pretrain: %s after %d epochs, %.0f s, %.1f images/s, final loss %.4f%n",
                        s.stoppedReason(), s.epochsCompleted(), s.seconds(), s.imagesPerS(), s.finalLoss());
                return 0;
            } finally {
                spark.stop();
            }
        }
    }
}
