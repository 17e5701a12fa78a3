package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Pipeline;
import dev.pretext.jobs.RunReport;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.util.Map;
import java.util.Set;

/** {@code pipeline}: every stage from one config into runs/<run-id>/. */
final class PipelineCommand implements Command {
    @Override
    public String name() {
        return "pipeline";
    }

    @Override
    public String summary() {
        return "ingest, pretrain, features, probe and report from one config into runs/<run-id>/";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext pipeline [--conf FILE]... [--set key=value]... [--run-id ID]

                Runs ingest (data.input; synthetic data in data.format's layout when empty), augment
                (when augment.mode = materialised), pretrain, features (pre-trained encoder, and the
                baselines: random-init encoder and raw pixels), probe (linear + kNN), and writes
                runs/<run-id>/report.json and report.md, printing the summary table. Running again with
                the same --run-id resumes: the images table is reused and pre-training continues from
                the latest complete checkpoint. With data.table set (an existing images table),
                data.format is taken from that table's manifest; a config naming another format is
                refused.

                Config layers: built-in defaults < datasets/<data.format> < methods/<method.name> <
                --conf files < --set. Keys: the Configuration section of README.md, and every key
                with its default in lib/src/main/resources/pretext/reference.conf.
                  e.g. bin/pretext pipeline --conf conf/cifar10-simclr.conf --set data.input=/data/cifar-10-batches-bin
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("run-id"), Set.of());
        PretextConfig cfg = ConfigArgs.loadPipeline(a, Map.of("run-id", "run.id"));
        return runPipeline(cfg);
    }

    static int runPipeline(PretextConfig cfg) throws Exception {
        Pipeline p = new Pipeline(cfg);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-pipeline");
        try {
            RunReport r = p.run(spark);
            System.out.println();
            System.out.println(r.summaryTable());
            System.out.printf("report: %s%n", p.runDir().resolve("report.md"));
            return 0;
        } finally {
            spark.stop();
        }
    }
}
