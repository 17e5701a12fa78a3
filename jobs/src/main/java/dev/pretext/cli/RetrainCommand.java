package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Retrain;
import dev.pretext.jobs.RunLock;
import dev.pretext.registry.ModelRegistry;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code retrain}: one scheduled-retraining cycle into a model registry ({@link Retrain}). */
@Command(name = "retrain",
        header = "one retraining cycle into a model registry: warm start, train, score on a holdout, promote through a gate",
        description = """
                  e.g. bin/pretext retrain --registry hdfs:///pretext/registry --conf conf/retrain.conf

                One cycle of scheduled retraining into the model registry DIR (a local path or any
                Hadoop file system URI; created on first use). Takes DIR/.lock for the whole cycle: a
                second retrain (or registry promote/rollback) meanwhile exits 2 naming the holder.
                  1. a new version DIR/versions/vNNNN (a run directory: config.conf, checkpoints,
                     metrics.jsonl, summary.json, and version.json with its lineage: data snapshot =
                     images table, fingerprint and counts; config; code version; parent version);
                  2. trains it with train.* on the current images table (data.table; empty: data.input,
                     or synthetic data, ingested once into DIR/images), warm-started from the champion's
                     latest checkpoint (weights and optimiser state, fresh learning-rate schedule;
                     retrain.warm-start = false, or no champion yet: from scratch);
                  3. scores candidate and champion with the linear probe and kNN on the same holdout
                     (retrain.holdout, or the table's train and eval.test-split splits);
                  4. the gate: the candidate becomes champion (DIR/champion, replaced atomically) only
                     if its training did not diverge or collapse and its retrain.metric is at least
                     the champion's minus retrain.margin; otherwise the champion stays and the reason
                     is printed and kept in version.json;
                  5. keeps the newest retrain.keep versions (never the champion, nor the version
                     rollback would restore).
                Exit status 0 when the cycle ended (promoted or champion kept), 1 when the registry
                has no champion after it (the first candidate failed the gate) or on an internal error,
                2 on a user error (config, lock). A cycle that fails or is killed leaves the champion
                as it was; the next retrain marks the unfinished version failed. See README
                "Scheduled retraining".
                """)
final class RetrainCommand extends PretextCommand {
    /** Where tests plant a failure between training and promotion. */
    static volatile Retrain.Faults faults = Retrain.Faults.NONE;

    @Option(names = "--registry", required = true, paramLabel = "DIR",
            description = "The model registry (a local path or a Hadoop file system URI; created on first use).")
    String registryDir;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        ModelRegistry registry = ModelRegistry.at(registryDir);
        PretextConfig cfg = ConfigArgs.loadPipeline(config, Map.of());
        try (RunLock ignored = registry.lock()) {
            Interrupts.context(() -> "the champion of " + registry + " is unchanged; run retrain again (the"
                    + " unfinished version is marked failed then)");
            SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-retrain");
            Retrain.Outcome o;
            try {
                o = new Retrain(cfg, registry, dir -> ConfigLoader.load(FeaturesCommand.savedConfig(dir), List.of()),
                        faults, System.err).run(spark);
            } finally {
                spark.stop();
            }
            if (o.promoted()) {
                System.out.printf("retrain: promoted %s: %s%n", o.version(), o.reason());
            } else if (o.champion() != null) {
                System.out.printf("retrain: kept champion %s; %s not promoted: %s%n", o.champion(), o.version(), o.reason());
            } else {
                System.out.printf("retrain: %s not promoted and the registry has no champion: %s%n", o.version(), o.reason());
                return 1;
            }
            return 0;
        }
    }
}
