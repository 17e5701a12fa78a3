package dev.pretext.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pretext.data.Manifest;
import dev.pretext.eval.ConfusionMatrix;
import dev.pretext.train.Checkpoints;
import dev.pretext.train.MetricsLog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.pretext.report.ReportWriter.pct;

/** The text sections of the report, from report.json and the tables' manifests. */
final class RunSections {
    private RunSections() {
    }

    static String or(String v, String dflt) {
        return v == null ? dflt : v;
    }

    /** Status, failures, what pre-training did, the probe table with baselines and layers, fine-tuning. */
    static void summary(HtmlPage page, RunFiles run) {
        page.section("summary", "Summary");
        String status = or(run.text("status"), "unknown (no report.json)");
        if (!"complete".equals(status)) {
            page.p("warning", "Status: " + status + ".");
        }
        JsonNode failures = run.at("failures");
        for (Iterator<Map.Entry<String, JsonNode>> it = failures.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            page.p("warning", "Failed: " + f.getKey() + ": " + f.getValue().asText());
        }
        page.p(null, String.format(Locale.ROOT, "%s on %s (%s train images, %s test, %s unlabeled); backbone %s width %s;"
                        + " trainer %s.", or(run.text("method"), "?"), or(run.text("dataset.format"), "?"),
                or(run.text("dataset.train_images"), "?"), or(run.text("dataset.test_images"), "?"),
                or(run.text("dataset.unlabeled_images"), "?"), or(run.text("backbone"), "?"), or(run.text("width"), "?"),
                or(run.text("pretrain.trainer"), "?")));
        if (run.num("pretrain.epochs") != null) {
            page.p(null, String.format(Locale.ROOT, "Pre-training: %s epochs (%s steps) in %.0f s, %.1f source images/s,"
                            + " final loss %.4f (stopped: %s); optimiser %s, peak learning rate %s, batch %s.",
                    run.text("pretrain.epochs"), or(run.text("pretrain.steps"), "?"), nz(run.num("pretrain.seconds")),
                    nz(run.num("pretrain.images_per_s")), nz(run.num("pretrain.final_loss")),
                    or(run.text("pretrain.stopped_reason"), "?"), or(run.text("pretrain.optimizer"), "?"),
                    or(run.text("pretrain.lr"), "?"), or(run.text("pretrain.batch_size"), "?")));
        }
        List<String[]> rows = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        rows.add(new String[]{"representation", "linear top-1", "linear top-5", "kNN top-1", "features"});
        classes.add(null);
        String backbone = or(run.text("backbone"), "encoder");
        probeRow(rows, classes, run, "pre-trained " + backbone + " (" + or(run.text("method"), "?") + ")", "probe", null);
        for (Iterator<String> it = run.at("layers").fieldNames(); it.hasNext(); ) {
            String layer = it.next();
            probeRow(rows, classes, run, "layer " + layer + " (pooled)", "layers." + layer, "sub");
        }
        probeRow(rows, classes, run, "random-init " + backbone, "baselines.random_init", null);
        probeRow(rows, classes, run, "raw pixels", "baselines.raw_pixels", null);
        if (rows.size() == 1) {
            page.p("note", "No probe results in report.json yet.");
        } else {
            page.table(rows, classes);
        }
        Double pre = run.num("probe.linear_top1"), rnd = run.num("baselines.random_init.linear_top1");
        if (pre != null && rnd != null) {
            page.p(pre < rnd ? "warning" : null, String.format(Locale.ROOT, "Pre-training %s the same architecture at"
                    + " random initialisation by %+.1f points of linear top-1.", pre < rnd ? "trails" : "beats",
                    100 * (pre - rnd)));
        }
        JsonNode ft = run.at("finetune");
        if (ft.isObject() && ft.size() > 0) {
            List<String[]> f = new ArrayList<>();
            f.add(new String[]{"fine-tuned encoder", "labels", "top-1", "top-5", "epoch kept"});
            for (Iterator<Map.Entry<String, JsonNode>> it = ft.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                for (String enc : List.of("pretrained", "random_init")) {
                    JsonNode r = e.getValue().path(enc);
                    if (r.isObject()) {
                        f.add(new String[]{enc.replace('_', '-'), pct(num(e.getValue().path("labels_fraction"))), pct(num(r.path("top1"))), pct(num(r.path("top5"))),
                                r.path("selected_epoch").asText("-")});
                    }
                }
            }
            page.p(null, "Fine-tuning (the whole encoder and a linear head on a labelled fraction):");
            page.table(f, null);
        }
        page.p("note", "Linear probe: multinomial logistic regression on standardised features, regularisation chosen"
                + " on a validation split of the training features; kNN: cosine, temperature-weighted votes.");
    }

    private static void probeRow(List<String[]> rows, List<String> classes, RunFiles run, String name, String prefix,
                                 String cls) {
        if (run.num(prefix + ".linear_top1") == null) {
            return;
        }
        rows.add(new String[]{name, pct(run.num(prefix + ".linear_top1")), pct(run.num(prefix + ".linear_top5")),
                pct(run.num(prefix + ".knn_top1")), or(run.text(prefix + ".features"), "-")});
        classes.add(cls);
    }

    private static Double num(JsonNode n) {
        return n.isNumber() ? n.asDouble() : null;
    }

    private static double nz(Double v) {
        return v == null ? Double.NaN : v;
    }

    /** The linear probe's confusion matrix, from report.json's probe.confusion. */
    static ReportWriter.Figure confusion(RunFiles run) {
        JsonNode c = run.at("probe.confusion");
        if (!c.isArray() || c.isEmpty()) {
            return new ReportWriter.Figure("confusion.png", "confusion matrix",
                    "No confusion matrix in report.json (a run made before the probe kept it, a probe that did not"
                            + " finish, or more than " + ConfusionMatrix.MAX_CLASSES + " classes).", null);
        }
        long[][] m = new long[c.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = new long[c.get(i).size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = c.get(i).get(j).asLong();
            }
        }
        ConfusionMatrix cm = new ConfusionMatrix(m);
        String title = String.format(Locale.ROOT, "linear probe on %s: %d images, top-1 %.1f%%", run.testSplit(),
                cm.total(), 100 * cm.accuracy());
        return new ReportWriter.Figure("confusion.png", "confusion matrix of the linear probe",
                "Rows: true class; columns: predicted class; each cell shaded by its share of its row.",
                ReportWriter.png(ConfusionPlot.render(title, m, run.classNames(m.length))));
    }

    /** Where the run's data came from and what code made it. */
    static void lineage(HtmlPage page, RunFiles run) {
        page.section("lineage", "Lineage");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"what", "value"});
        rows.add(new String[]{"run directory", run.dir().toString()});
        rows.add(new String[]{"data input", or(run.text("dataset.input"), "-")});
        run.imagesTable().ifPresentOrElse(t -> {
            Manifest m = RunFiles.manifest(t);
            rows.add(new String[]{"images table", t.toString()});
            rows.add(new String[]{"images table written", m.createdAt() + " by " + m.stage() + ", code version "
                    + m.codeVersion() + ", format " + m.format()});
            rows.add(new String[]{"images per split", String.valueOf(m.counts())});
            rows.add(new String[]{"records read / quarantined", m.recordsSeen() + " / " + m.quarantined()});
            long bytes = m.inputs().stream().mapToLong(Manifest.Input::sizeBytes).sum();
            List<String> names = m.inputs().stream().map(Manifest.Input::name).limit(8).toList();
            rows.add(new String[]{"inputs", m.inputs().size() + " (" + String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                    + "): " + String.join(", ", names) + (m.inputs().size() > names.size() ? ", ..." : "")});
        }, () -> rows.add(new String[]{"images table", "not found on this machine"}));
        rows.add(new String[]{"pre-training splits / images", or(run.text("pretrain.splits"), "-") + " / "
                + or(run.text("pretrain.images"), "-")});
        String ckpt = Checkpoints.findLatest(run.dir()).map(c -> c.name() + " (" + c.state().epochsCompleted()
                + " epochs)").orElse("none");
        rows.add(new String[]{"latest checkpoint", ckpt});
        rows.add(new String[]{MetricsLog.FILE, run.metrics().size() + " lines"});
        for (Path t : run.featuresTables()) {
            Manifest m = RunFiles.manifest(t);
            rows.add(new String[]{"features/" + t.getFileName(), m.counts() + ", written " + m.createdAt()
                    + ", code version " + m.codeVersion()});
        }
        rows.add(new String[]{"seconds per stage", run.at("timings").isObject() ? timings(run.at("timings")) : "-"});
        page.table(rows, null);
    }

    private static String timings(JsonNode t) {
        List<String> parts = new ArrayList<>();
        t.fields().forEachRemaining(e -> parts.add(String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue().asDouble())));
        return String.join("; ", parts);
    }

    /** Several runs: one row per run (and per layer), then each run's baselines. */
    static void comparisonTable(HtmlPage page, List<RunFiles> runs) {
        List<String[]> rows = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        rows.add(new String[]{"run", "method", "status", "linear top-1", "linear top-5", "kNN top-1", "epochs",
                "pretrain s", "source img/s", "final loss"});
        classes.add(null);
        for (RunFiles r : runs) {
            rows.add(new String[]{r.id(), or(r.text("method"), "-"), or(r.text("status"), "-"),
                    pct(r.num("probe.linear_top1")), pct(r.num("probe.linear_top5")), pct(r.num("probe.knn_top1")),
                    or(r.text("pretrain.epochs"), "-"), fixed(r.num("pretrain.seconds"), 0),
                    fixed(r.num("pretrain.images_per_s"), 1), fixed(r.num("pretrain.final_loss"), 4)});
            classes.add(null);
            for (Iterator<String> it = r.at("layers").fieldNames(); it.hasNext(); ) {
                String layer = it.next();
                rows.add(new String[]{"layer " + layer, "", "", pct(r.num("layers." + layer + ".linear_top1")),
                        pct(r.num("layers." + layer + ".linear_top5")), pct(r.num("layers." + layer + ".knn_top1")),
                        "", "", "", ""});
                classes.add("sub");
            }
            for (String[] b : new String[][]{{"random_init", "random-init"}, {"raw_pixels", "raw pixels"}}) {
                String p = "baselines." + b[0];
                if (r.num(p + ".linear_top1") != null) {
                    rows.add(new String[]{b[1] + " (baseline)", "", "", pct(r.num(p + ".linear_top1")),
                            pct(r.num(p + ".linear_top5")), pct(r.num(p + ".knn_top1")), "", "", "", ""});
                    classes.add("sub");
                }
            }
        }
        page.table(rows, classes);
    }

    private static String fixed(Double v, int digits) {
        return v == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
