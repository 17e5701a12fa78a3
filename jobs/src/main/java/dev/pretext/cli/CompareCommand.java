package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Compare;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code compare}: several methods under the same data, backbone, budget, seed and evaluation. */
@Command(name = "compare",
        header = "several methods on the same data, budget and evaluation: compare.md, .json and .png",
        description = """
                Runs the pipeline once per method (bin/pretext methods lists them) on the same images
                table, backbone, budget (train.epochs or train.max-seconds), seed and evaluation, and
                writes side by side: DIR/compare.md and DIR/compare.json (per method: status, linear
                top-1 and top-5, kNN top-1, source images/s, pre-training seconds, final loss, and the
                collapse indicators embedding std and effective rank of the last chunk; the
                random-init and raw-pixel baselines, computed once) and DIR/compare.png (loss and
                effective rank against training seconds, one line per method). The data is ingested
                once into DIR/images (synthetic data when data.input is empty), or data.table is used;
                each method's run is DIR/<method>/ (report.md, metrics.jsonl, ...). --conf and --set
                apply to every method; method.name, data.table, run.dir and run.id are set per run.

                A method that fails (bad method key, training stopped as collapsed or diverged, out of
                memory, any error) gets its row with that status and the reason, and the others still
                run; the files are rewritten after every method. Exit status 0 when every method
                completed, 2 when one failed (the files still hold every row). DIR must be new or
                empty. The table is printed at the end; progress goes to stderr.
                  e.g. bin/pretext compare --methods simclr,byol,barlow --conf conf/quickstart.conf --out cmp

                --variants "S1;S2;..." adds MV-MR runs over descriptor subsets (each a comma-separated
                list of image, augmented, hog, lsd, scattering, or all), named mvmr-<d1>_<d2> (mvmr-all),
                in the place of mvmr in --methods (or after the methods; --methods may then be left
                out): the paper's ablation, one representation against all five. Runs that read only
                descriptors share one table, DIR/descriptors, computed once.
                  e.g. bin/pretext compare --methods simclr,mvmr --variants "all;hog;scattering" --out abl
                """)
final class CompareCommand extends PretextCommand {
    @Option(names = "--methods", paramLabel = "M1,M2,...", description = "The methods (bin/pretext methods lists them).")
    String methodList;

    @Option(names = "--variants", paramLabel = "S1;S2;...", description = "MV-MR runs over descriptor subsets.")
    String variants;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New or empty: the runs and the comparison.")
    Path outDir;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        List<String> methods = variants != null && methodList == null ? List.of()
                : Compare.parseMethods(require(methodList, "--methods"));
        List<Compare.Run> runs = variants == null ? Compare.runs(methods) : Compare.withVariants(methods, variants);
        Path out = outDir.toAbsolutePath().normalize();
        Compare.checkOut(out);
        // the shared settings, checked before anything starts (a bad key fails every method alike)
        PretextConfig base = ConfigArgs.loadPipeline(config, List.of());
        List<String> cmd = new ArrayList<>(List.of(name()));
        cmd.addAll(List.of(argv()));
        Compare compare = Compare.ofRuns(runs, out, extra -> ConfigArgs.loadPipeline(config, extra), base,
                Interrupts.commandLine(cmd), Interrupts::interrupted);
        Interrupts.context(() -> "the finished methods' rows are in " + out.resolve(Compare.MD_FILE)
                + ", their runs in " + out);
        SparkSession spark = SparkSessions.getOrCreate(base.sparkMaster, "pretext-compare");
        Compare.Outcome o;
        try {
            o = compare.run(spark);
        } finally {
            spark.stop();
        }
        System.out.println();
        System.out.print(compare.table());
        System.out.printf("compare: %s, %s, %s%n", out.resolve(Compare.MD_FILE), out.resolve(Compare.JSON_FILE),
                out.resolve(Compare.PNG_FILE));
        if (!o.failed().isEmpty()) {
            throw new UserError("compare: " + o.failed().size() + " of " + o.rows().size() + " methods did not complete ("
                    + String.join("; ", o.failed().stream().map(r -> r.name() + " " + r.status() + ": " + r.reason())
                    .toList()) + "); every row is in " + out.resolve(Compare.MD_FILE));
        }
        return 0;
    }

    private String require(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new UserError(name() + ": " + option + " is required (see " + name() + " --help)");
        }
        return value;
    }
}
