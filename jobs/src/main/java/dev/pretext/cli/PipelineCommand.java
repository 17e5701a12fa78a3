package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.data.Manifest;
import dev.pretext.jobs.Pipeline;
import dev.pretext.jobs.RunLock;
import dev.pretext.jobs.RunReport;
import dev.pretext.train.Checkpoints;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import dev.pretext.data.FsDir;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pipeline}: every stage from one config into runs/<run-id>/. */
@Command(name = "pipeline",
        header = "ingest, pretrain, features, probe and report from one config into runs/<run-id>/",
        description = """
                Runs ingest (data.input; synthetic data in data.format's layout when empty), augment
                (when augment.mode = materialised), pretrain, features (pre-trained encoder, and the
                baselines: random-init encoder and raw pixels), probe (linear + kNN), and writes
                runs/<run-id>/report.json and report.md, printing the summary table. Running again with
                the same --run-id resumes: the images table is reused and pre-training continues from
                the latest complete checkpoint. With data.table set (an existing images table),
                data.format is taken from that table's manifest; a config naming another format is
                refused. A resume may change only train.epochs, train.max-seconds, eval.* and spark.*;
                other changes to runs/<run-id>/config.conf are refused. runs/<run-id>/.lock keeps a
                second process out of a run while one runs. run.dir (default runs) is relative to the
                current directory.

                Config layers: built-in defaults < datasets/<data.format> < methods/<method.name> <
                --conf files < --set. Keys: the Configuration section of README.md, and every key
                with its default in lib/src/main/resources/pretext/reference.conf.
                  e.g. bin/pretext pipeline --conf conf/cifar10-simclr.conf \\
                         --set data.input=/data/cifar-10-batches-bin
                """)
final class PipelineCommand extends PretextCommand {
    @Option(names = "--run-id", paramLabel = "ID", description = "The run's id (run.id; default: generated); the same id resumes.")
    String runId;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        PretextConfig cfg = ConfigArgs.loadPipeline(config, ConfigArgs.keys("run.id", runId));
        return runPipeline(cfg, name(), argv());
    }

    /** Runs the pipeline; {@code command} and {@code argv} are how the user started it (for the resume hint). */
    static int runPipeline(PretextConfig cfg, String command, String[] argv) throws Exception {
        Pipeline p = new Pipeline(cfg);
        try (RunLock ignored = p.open()) {
            Interrupts.context(() -> keptAndResume(p.runDir(), resumeArgs(command, argv, cfg.runId, p.runDir())));
            SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-pipeline");
            try {
                RunReport r = p.run(spark);
                System.out.println();
                System.out.println(r.summaryTable());
                System.out.printf("report: %s%n", p.runDir().child("report.md"));
                return 0;
            } finally {
                spark.stop();
            }
        }
    }

    /** The same command with the run's id (added when it was generated). */
    static List<String> resumeArgs(String command, String[] argv, String configuredId, FsDir runDir) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(argv));
        if (configuredId.isEmpty()) {
            args.add("--run-id");
            args.add(runDir.name());
        }
        return args;
    }

    /** After an interruption: what the run directory kept, and the command that resumes from it. */
    static String keptAndResume(FsDir runDir, List<String> resumeArgs) {
        String line = Interrupts.commandLine(resumeArgs);
        Optional<Checkpoints.Checkpoint> ckpt;
        boolean images;
        try {
            ckpt = Checkpoints.findLatest(runDir);
            images = runDir.child("images").child(Manifest.FILE_NAME).exists();
        } catch (RuntimeException e) {
            // the file system is already closed (a run on hdfs:// at JVM shutdown): say where to look
            return "what was kept is in " + runDir + "; resume with: " + line;
        }
        List<String> kept = new ArrayList<>();
        ckpt.ifPresent(c -> kept.add("checkpoint " + Checkpoints.DIR + "/" + c.name()));
        if (images) {
            kept.add("the images table");
        }
        return kept.isEmpty()
                ? "nothing was kept yet (no images table or checkpoint); run it again with: " + line
                : "kept " + String.join(" and ", kept) + " in " + runDir + "; resume with: " + line;
    }
}
