package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.Manifest;
import dev.pretext.eval.EvalReport;
import dev.pretext.jobs.FeaturesStage;
import dev.pretext.jobs.ProbeStage;
import dev.pretext.spark.SparkSessions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code probe}: linear probe and kNN on a features table. */
@Command(name = "probe",
        header = "linear probe (MLlib logistic regression) and kNN top-1 on a features table",
        description = """
                Standardises the features, picks the logistic regression's regularisation from
                eval.reg-grid on a validation split (eval.val-fraction) of the TRAIN split, refits on
                all training features and reports test top-1 and top-5; kNN: cosine, k = eval.knn-k,
                temperature-weighted votes (eval.knn-temperature). Prints JSON (or writes it to FILE).
                DIR (what features --out was given) probes every features table in it (pretrained,
                random_init, raw_pixels) and prints one JSON object keyed by their names.
                """)
final class ProbeCommand extends PretextCommand {
    @Option(names = "--features", required = true, paramLabel = "TABLE|DIR",
            description = "A features table, or what features --out was given (every table in it).")
    String features;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON to FILE instead of stdout.")
    Path json;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        PretextConfig cfg = ConfigArgs.load(config, Map.of());
        Map<String, String> tables = tables(features, new Configuration());
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-probe");
        try {
            String json;
            if (tables.size() == 1 && tables.containsKey("")) {
                json = ProbeStage.run(spark, cfg, features).toJson();
            } else {
                StringBuilder sb = new StringBuilder("{");
                for (Map.Entry<String, String> t : tables.entrySet()) {
                    EvalReport r = ProbeStage.run(spark, cfg, t.getValue());
                    sb.append(sb.length() > 1 ? ",\n" : "\n").append('"').append(t.getKey()).append("\": ")
                            .append(r.toJson().strip());
                }
                json = sb.append("\n}").toString();
            }
            if (this.json != null) {
                Files.writeString(this.json, json);
            } else {
                System.out.println(json);
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The representations {@code features --out} writes, in the order probe reports them. */
    static final List<String> REPRESENTATIONS = List.of(FeaturesStage.PRETRAINED, FeaturesStage.RANDOM_INIT,
            FeaturesStage.RAW_PIXELS);

    /**
     * The features tables {@code path} names, checked before Spark starts: {@code path} itself
     * ({@code "" -> path}) when it is a table, else its sub-folders that are tables (name -> path),
     * as {@code features --out DIR} leaves them. A missing path or a folder without tables is a
     * {@link UserError}.
     */
    static Map<String, String> tables(String path, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            throw new UserError("probe: --features " + path + " does not exist; give a features table (features"
                    + " --out DIR writes DIR/" + String.join(", DIR/", REPRESENTATIONS) + ") or DIR itself");
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (isTable(fs, p)) {
            out.put("", path);
            return out;
        }
        List<String> found = new ArrayList<>();
        if (fs.getFileStatus(p).isDirectory()) {
            for (FileStatus st : fs.listStatus(p)) {
                if (st.isDirectory() && isTable(fs, st.getPath())) {
                    found.add(st.getPath().getName());
                }
            }
        }
        found.sort(java.util.Comparator.comparingInt((String n) -> REPRESENTATIONS.contains(n)
                ? REPRESENTATIONS.indexOf(n) : REPRESENTATIONS.size()).thenComparing(n -> n));
        for (String n : found) {
            out.put(n, new org.apache.hadoop.fs.Path(p, n).toString());
        }
        if (out.isEmpty()) {
            throw new UserError("probe: --features " + path + " is not a features table and holds none (no "
                    + Manifest.FILE_NAME + " or Parquet files in it or in a sub-folder such as "
                    + String.join(", ", REPRESENTATIONS) + "); give what features --out wrote");
        }
        return out;
    }

    private static boolean isTable(FileSystem fs, org.apache.hadoop.fs.Path p) throws IOException {
        if (!fs.getFileStatus(p).isDirectory()) {
            return p.getName().endsWith(".parquet");
        }
        if (fs.exists(new org.apache.hadoop.fs.Path(p, Manifest.FILE_NAME))) {
            return true;
        }
        for (FileStatus st : fs.listStatus(p)) {
            if (st.isFile() && st.getPath().getName().endsWith(".parquet")) {
                return true;
            }
        }
        return false;
    }
}
