package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.report.ReportWriter;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code report}: a run's report.html (or several runs side by side). */
@Command(name = "report", showDefaultValues = true,
        header = "(re)writes a run's report.html with its plots, or compares several runs in one page",
        description = """
                One run (a directory such as runs/<run-id>): writes RUN/report.html (or FILE) and its
                PNGs in RUN/report-plots/ (FILE-plots/ beside FILE): the summary table with the
                baselines and per-layer probes, the training curves of metrics.jsonl, a t-SNE map of
                N seeded test features coloured by class, the linear probe's confusion matrix, a
                contact sheet of training views, the resolved config and the lineage.
                Several runs (report RUN1 RUN2 ... --out FILE): FILE with one table of all runs and
                their curves overlaid.

                The page is self-contained (plots inlined as data: URIs, no scripts, fonts or styles
                from elsewhere): it opens from a file, with no server and no network. pipeline writes
                RUN/report.html at its end; this command redraws it, e.g. for a run made before.
                """)
final class ReportCommand extends PretextCommand {
    @Parameters(paramLabel = "RUN", arity = "1..*", description = "Run directories (runs/<run-id>).")
    List<Path> runs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE", description = "The page (default: RUN/report.html; needed for several runs).")
    Path out;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "" + ReportWriter.DEFAULT_SAMPLE,
            description = "Test features in the t-SNE map.")
    int sample;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the sample.")
    int seed;

    @Option(names = "--master", paramLabel = "M", description = "Spark master.")
    String master;

    @Override
    public Integer call() throws Exception {
        if (runs.size() > 1 && out == null) {
            throw new UserError("report: " + runs.size() + " runs need --out FILE (e.g. --out compare.html)");
        }
        ReportWriter writer = new ReportWriter(sample, seed);
        Path html;
        if (runs.size() > 1) {
            html = writer.writeComparison(runs, out);
        } else {
            Path run = runs.get(0);
            dev.pretext.report.RunFiles.read(run);   // not a run: said before Spark starts
            SparkSession spark = SparkSessions.getOrCreate(master == null ? "" : master, "pretext-report");
            try {
                html = writer.writeRun(spark, run, out == null ? run.resolve(ReportWriter.HTML) : out);
            } finally {
                spark.stop();
            }
        }
        System.out.println("report: " + html.toAbsolutePath() + " (plots in " + ReportWriter.plotsDir(html.toAbsolutePath())
                + ")");
        return 0;
    }
}
