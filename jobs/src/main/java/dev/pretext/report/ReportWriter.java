package dev.pretext.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pretext.UserError;
import dev.pretext.data.Manifest;
import dev.pretext.jobs.CurvePlot;
import dev.pretext.jobs.Failures;
import dev.pretext.train.Checkpoints;
import org.apache.spark.sql.SparkSession;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

/**
 * {@code report.html}: one run's results as a page a person reads, or several runs side by side.
 * One run: the summary table with the baselines and the per-layer probes, the training curves of
 * {@code metrics.jsonl}, a t-SNE map of a seeded sample of the test features coloured by class,
 * the linear probe's confusion matrix, a contact sheet of training views, the resolved config and
 * the run's lineage. Several runs: one table and the curves overlaid. Every plot is a PNG written
 * to the plots folder beside the page and inlined in it (self-contained: it opens from a file).
 * The plots folder and the page are written to temporary names and renamed into place.
 */
public final class ReportWriter {
    public static final String HTML = "report.html";
    /** The plots folder of {@code X.html} is {@code X-plots}: {@code report-plots} for a run. */
    public static final String PLOTS_SUFFIX = "-plots";
    /** Test features drawn for the t-SNE map. */
    public static final int DEFAULT_SAMPLE = 1000;

    /** metrics.jsonl keys that are bookkeeping, not curves. */
    private static final Set<String> NOT_CURVES = Set.of("epoch", "chunk", "chunks", "epoch_progress", "step",
            "elapsed_s", "minibatches");
    private static final Map<String, String[]> TITLES = Map.of(
            "loss", new String[]{"pre-training loss (monitor batch)", "loss"},
            "lr", new String[]{"learning rate", "learning rate"},
            "images_per_s", new String[]{"throughput", "source images/s"},
            "embedding_std", new String[]{"embedding std (collapse: near 0)", "std"},
            "effective_rank", new String[]{"effective rank of the embedding (collapse: near 1)", "effective rank"},
            "knn_top1", new String[]{"kNN monitor top-1", "top-1"});

    /** One plot: its file name in the plots folder, title, caption and PNG bytes. */
    public record Figure(String file, String title, String caption, byte[] png) {
    }

    private final int sample;
    private final long seed;

    public ReportWriter(int sample, long seed) {
        if (sample < 4) {
            throw new UserError("report: the t-SNE sample must be at least 4 points, got " + sample);
        }
        this.sample = sample;
        this.seed = seed;
    }

    /** The plots folder of a page. */
    public static Path plotsDir(Path html) {
        String name = html.getFileName().toString();
        String stem = name.endsWith(".html") ? name.substring(0, name.length() - 5) : name;
        return html.resolveSibling(stem + PLOTS_SUFFIX);
    }

    /**
     * What the pipeline calls at its end: {@code runDir/report.html}; a failure to draw it is printed
     * and does not fail the run (its results are in report.json and report.md already).
     */
    public static void inPipeline(SparkSession spark, dev.pretext.data.FsDir dir, long seed, PrintStream err) {
        java.util.Optional<Path> local = dir.localPath();
        if (local.isEmpty()) {
            err.println("pipeline: report.html is drawn for local run directories only (" + dir.uri()
                    + " is not): copy the run to local disk and run bin/pretext report on it");
            return;
        }
        Path runDir = local.get();
        try {
            Path html = new ReportWriter(DEFAULT_SAMPLE, seed).writeRun(spark, runDir, runDir.resolve(HTML));
            err.println("pipeline: report " + html);
        } catch (RuntimeException | IOException e) {
            err.println("pipeline: report.html not written: " + Failures.describe(e));
        }
    }

    /**
     * One run's page at {@code html} (its plots beside it). {@code spark} reads the features and
     * images tables for the map and the views; without it (null) those sections say so.
     */
    public Path writeRun(SparkSession spark, Path runDir, Path html) throws IOException {
        RunFiles run = RunFiles.read(runDir);
        HtmlPage page = new HtmlPage("Pretext run " + run.id());
        List<Figure> all = new ArrayList<>();
        page.h1("Pretext run " + run.id());
        page.raw("<nav><a href=\"#summary\">summary</a><a href=\"#curves\">training curves</a>"
                + "<a href=\"#map\">feature map</a><a href=\"#confusion\">confusion matrix</a>"
                + "<a href=\"#views\">training views</a><a href=\"#config\">config</a><a href=\"#lineage\">lineage</a></nav>\n");
        RunSections.summary(page, run);
        page.section("curves", "Training curves");
        List<Figure> curves = curves(List.of(run));
        if (curves.isEmpty()) {
            page.p("note", "No metrics.jsonl lines: pre-training logged no chunk.");
        }
        page.figures(curves);
        all.addAll(curves);
        section(page, all, "map", "Map of the test features (t-SNE)", () -> spark == null ? null
                : FeatureMap.figure(spark, run, sample, seed));
        section(page, all, "confusion", "Confusion matrix of the linear probe", () -> RunSections.confusion(run));
        section(page, all, "views", "Training views", () -> spark == null ? null : ViewSheet.figure(spark, run, seed));
        page.section("config", "Resolved config (config.conf)");
        if (run.configText() == null) {
            page.p("note", "No config.conf in the run directory.");
        } else {
            page.pre(run.configText());
        }
        RunSections.lineage(page, run);
        page.p("note", "Written by Pretext " + Manifest.currentCodeVersion() + " (bin/pretext report " + run.dir() + ").");
        write(html, page.render(), all);
        return html;
    }

    /** Several runs: one table, the curves overlaid, each run's lineage in brief. */
    public Path writeComparison(List<Path> runDirs, Path html) throws IOException {
        List<RunFiles> runs = new ArrayList<>();
        for (Path d : runDirs) {
            runs.add(RunFiles.read(d));
        }
        Set<String> ids = new LinkedHashSet<>();
        for (RunFiles r : runs) {
            if (!ids.add(r.id())) {
                throw new UserError("report: run id '" + r.id() + "' given twice (" + r.dir() + ")");
            }
        }
        HtmlPage page = new HtmlPage("Pretext runs " + String.join(", ", ids));
        page.h1("Pretext: " + runs.size() + " runs side by side");
        page.section("summary", "Results");
        RunSections.comparisonTable(page, runs);
        page.section("curves", "Training curves");
        List<Figure> curves = curves(runs);
        if (curves.isEmpty()) {
            page.p("note", "None of the runs has metrics.jsonl lines.");
        }
        page.figures(curves);
        page.section("runs", "Runs");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"run", "directory", "status", "method", "dataset", "code version"});
        for (RunFiles r : runs) {
            Manifest m = r.imagesTable().map(RunFiles::manifest).orElse(null);
            rows.add(new String[]{r.id(), r.dir().toString(), RunSections.or(r.text("status"), "-"),
                    RunSections.or(r.text("method"), "-"), RunSections.or(r.text("dataset.format"), "-") + " ("
                    + RunSections.or(r.text("dataset.input"), "?") + ")", m == null ? "-" : m.codeVersion()});
        }
        page.table(rows, null);
        page.p("note", "Written by Pretext " + Manifest.currentCodeVersion() + ".");
        write(html, page.render(), curves);
        return html;
    }

    @FunctionalInterface
    interface Part {
        Figure make() throws Exception;
    }

    /** A section with one figure; its failure is shown in the page as an error, not thrown. */
    private static void section(HtmlPage page, List<Figure> all, String id, String heading, Part part) {
        page.section(id, heading);
        try {
            Figure f = part.make();
            if (f == null) {
                page.p("note", "Not drawn: this report was written without Spark.");
            } else if (f.png() == null) {
                page.p("note", f.caption());
            } else {
                page.figures(List.of(f));
                all.add(f);
            }
        } catch (Exception | OutOfMemoryError e) {
            page.p("error", "Could not draw this part: " + Failures.describe(e));
        }
    }

    /** One PNG per metric of metrics.jsonl, one line per run, against training seconds (or steps). */
    static List<Figure> curves(List<RunFiles> runs) {
        Set<String> keys = new LinkedHashSet<>();
        boolean time = true;
        for (RunFiles r : runs) {
            for (JsonNode line : r.metrics()) {
                for (Iterator<String> it = line.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!NOT_CURVES.contains(k) && (line.get(k).isNumber() || line.get(k).isNull())) {
                        keys.add(k);
                    }
                }
                time &= line.path("elapsed_s").isNumber();
            }
        }
        String x = time ? "elapsed_s" : "step";
        String xLabel = time ? "training seconds" : "step";
        List<Figure> out = new ArrayList<>();
        for (String k : keys) {
            List<CurvePlot.Series> series = new ArrayList<>();
            boolean any = false;
            for (RunFiles r : runs) {
                List<double[]> pts = new ArrayList<>();
                for (JsonNode line : r.metrics()) {
                    JsonNode xv = line.path(x), yv = line.path(k);
                    pts.add(new double[]{xv.isNumber() ? xv.asDouble() : Double.NaN, yv.isNumber() ? yv.asDouble() : Double.NaN});
                    any |= yv.isNumber();
                }
                series.add(new CurvePlot.Series(r.id(), List.<double[][]>of(pts.toArray(new double[0][]))));
            }
            if (!any) {
                continue;   // a column that is null throughout (a monitor that never ran)
            }
            String[] t = TITLES.getOrDefault(k, new String[]{k.replace('_', ' '), k});
            BufferedImage img = CurvePlot.render(List.of(new CurvePlot.Panel(t[0], xLabel, t[1])), series);
            out.add(new Figure("curve-" + k + ".png", t[0], "metrics.jsonl: " + k + " per logged chunk", png(img)));
        }
        return out;
    }

    static byte[] png(BufferedImage img) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", bytes)) {
                throw new IllegalStateException("no PNG writer in this JVM");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The plots folder, then the page, each written under a temporary name and renamed. */
    private static void write(Path html, String text, List<Figure> figures) throws IOException {
        Path page = html.toAbsolutePath().normalize();
        if (page.getParent() != null) {
            Files.createDirectories(page.getParent());
        }
        Path plots = plotsDir(page);
        Path tmp = plots.resolveSibling("." + plots.getFileName() + ".tmp-" + UUID.randomUUID());
        Path tmpPage = page.resolveSibling("." + page.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            for (Figure f : figures) {
                Files.write(tmp.resolve(f.file()), f.png());
            }
            Files.writeString(tmpPage, text);
            if (Files.exists(plots)) {
                Path old = plots.resolveSibling("." + plots.getFileName() + ".old-" + UUID.randomUUID());
                Files.move(plots, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, plots, StandardCopyOption.ATOMIC_MOVE);
                deleteRecursively(old);
            } else {
                Files.move(tmp, plots, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmpPage, page, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteRecursively(tmp);
            Files.deleteIfExists(tmpPage);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    static String pct(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

}
