package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.report.ReportWriter;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code report}: a run's report.html (or several runs side by side). */
final class ReportCommand implements Command {
    @Override
    public String name() {
        return "report";
    }

    @Override
    public String summary() {
        return "(re)writes a run's report.html with its plots, or compares several runs in one page";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext report RUN [--out FILE] [--sample N] [--seed S] [--master M]
                       bin/pretext report RUN1 RUN2 ... --out FILE

                One run (a directory such as runs/<run-id>): writes RUN/report.html (or FILE) and its
                PNGs in RUN/report-plots/ (FILE-plots/ beside FILE): the summary table with the
                baselines and per-layer probes, the training curves of metrics.jsonl, a t-SNE map of
                N seeded test features (default %d) coloured by class, the linear probe's confusion
                matrix, a contact sheet of training views, the resolved config and the lineage.
                Several runs: FILE with one table of all runs and their curves overlaid.

                The page is self-contained (plots inlined as data: URIs, no scripts, fonts or styles
                from elsewhere): it opens from a file, with no server and no network. pipeline writes
                RUN/report.html at its end; this command redraws it, e.g. for a run made before.
                """.formatted(ReportWriter.DEFAULT_SAMPLE);
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("out", "sample", "seed", "master"), Set.of());
        List<String> runs = a.positional();
        if (runs.isEmpty()) {
            throw new UserError("report: give a run directory (runs/<run-id>), or several with --out FILE");
        }
        if (runs.size() > 1 && a.get("out") == null) {
            throw new UserError("report: " + runs.size() + " runs need --out FILE (e.g. --out compare.html)");
        }
        ReportWriter writer = new ReportWriter(a.intValue("sample", ReportWriter.DEFAULT_SAMPLE), a.intValue("seed", 1));
        Path html;
        if (runs.size() > 1) {
            html = writer.writeComparison(runs.stream().map(Path::of).toList(), Path.of(a.get("out")));
        } else {
            Path run = Path.of(runs.get(0));
            dev.pretext.report.RunFiles.read(run);   // not a run: said before Spark starts
            Path out = a.get("out") == null ? run.resolve(ReportWriter.HTML) : Path.of(a.get("out"));
            SparkSession spark = SparkSessions.getOrCreate(a.get("master", ""), "pretext-report");
            try {
                html = writer.writeRun(spark, run, out);
            } finally {
                spark.stop();
            }
        }
        System.out.println("report: " + html.toAbsolutePath() + " (plots in " + ReportWriter.plotsDir(html.toAbsolutePath())
                + ")");
        return 0;
    }
}
