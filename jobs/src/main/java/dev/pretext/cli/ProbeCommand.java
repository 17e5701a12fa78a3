package dev.pretext.cli;

import dev.pretext.config.PretextConfig;
import dev.pretext.eval.EvalReport;
import dev.pretext.jobs.ProbeStage;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code probe}: linear probe and kNN on a features table. */
final class ProbeCommand implements Command {
    @Override
    public String name() {
        return "probe";
    }

    @Override
    public String summary() {
        return "linear probe (MLlib logistic regression) and kNN top-1 on a features table";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext probe --features TABLE [--json FILE] [--conf FILE]... [--set eval.KEY=VALUE]...

                Standardises the features, picks the logistic regression's regularisation from
                eval.reg-grid on a validation split (eval.val-fraction) of the TRAIN split, refits on
                all training features and reports test top-1 and top-5; kNN: cosine, k = eval.knn-k,
                temperature-weighted votes (eval.knn-temperature). Prints JSON (or writes it to FILE).
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("features", "json"), Set.of());
        String features = a.require("features");
        PretextConfig cfg = ConfigArgs.load(a, Map.of());
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-probe");
        try {
            EvalReport r = ProbeStage.run(spark, cfg, features);
            if (a.get("json") != null) {
                Files.writeString(Path.of(a.get("json")), r.toJson());
            } else {
                System.out.println(r.toJson());
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
