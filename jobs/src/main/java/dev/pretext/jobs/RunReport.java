package dev.pretext.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The run's report: {@code report.json} (nested objects; the documented keys such as
 * {@code dataset.format} are paths into it), {@code report.md}, and the summary table printed at
 * the end of {@code pipeline}. Fractions are in [0, 1].
 */
public final class RunReport {
    private final Map<String, Object> root = new LinkedHashMap<>();

    /** Sets a value at a dotted path, creating the nested objects on the way. */
    @SuppressWarnings("unchecked")
    public RunReport put(String path, Object value) {
        String[] parts = path.split("\\.");
        Map<String, Object> m = root;
        for (int i = 0; i < parts.length - 1; i++) {
            m = (Map<String, Object>) m.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
        }
        m.put(parts[parts.length - 1], value);
        return this;
    }

    /**
     * Sets {@code key} (taken as it is, dots included: a fine-tune fraction such as {@code 0.1}, or
     * the failure {@code finetune-0.1}) in the object at the dotted {@code parent} path.
     */
    @SuppressWarnings("unchecked")
    public RunReport putKey(String parent, String key, Object value) {
        Map<String, Object> m = root;
        for (String part : parent.split("\\.")) {
            m = (Map<String, Object>) m.computeIfAbsent(part, k -> new LinkedHashMap<String, Object>());
        }
        m.put(key, value);
        return this;
    }

    @SuppressWarnings("unchecked")
    public Object get(String path) {
        Object cur = root;
        for (String p : path.split("\\.")) {
            if (!(cur instanceof Map)) {
                return null;
            }
            cur = ((Map<String, Object>) cur).get(p);
        }
        return cur;
    }

    public Map<String, Object> asMap() {
        return root;
    }

    /** The summary table: linear top-1/top-5 and kNN top-1 for the encoder and the baselines. */
    public String summaryTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-28s | %10s | %10s | %8s |%n", "representation", "linear top-1", "linear top-5", "kNN top-1"));
        sb.append("|------------------------------|--------------|--------------|-----------|\n");
        row(sb, "pre-trained " + get("backbone") + " (" + get("method") + ")", "probe");
        if (get("layers") instanceof Map<?, ?> layers) {
            for (Object layer : layers.keySet()) {
                row(sb, "  layer " + layer + " (pooled)", "layers." + layer);
            }
        }
        row(sb, "random-init " + get("backbone"), "baselines.random_init");
        row(sb, "raw pixels", "baselines.raw_pixels");
        if (get("finetune") instanceof Map<?, ?> ft && !ft.isEmpty()) {
            sb.append('\n').append(finetuneTable(ft, get("backbone") + " (" + get("method") + ")",
                    String.valueOf(get("backbone")), null));
        }
        return sb.toString();
    }

    /**
     * The fine-tuning table: per labelled fraction (keys of {@code fractions}, each the object of a
     * {@code finetune-<fraction>.json}), the fine-tuned pre-trained and random-init encoders' test
     * top-1 / top-5, the epoch kept and the images trained on; then, when {@code linearProbe} is given
     * (that object's {@code linear_probe}), the run's frozen linear probes for comparison.
     */
    public static String finetuneTable(Map<?, ?> fractions, String pretrainedName, String backbone,
                                       Map<?, ?> linearProbe) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| %-38s | %-23s | %6s | %6s | %7s |%n", "fine-tuned encoder", "labels",
                "top-1", "top-5", "epoch"));
        sb.append("|----------------------------------------|-------------------------|--------|--------|---------|\n");
        fractions.forEach((k, v) -> {
            if (!(v instanceof Map<?, ?> f)) {
                return;
            }
            double frac = f.get("labels_fraction") instanceof Number n ? n.doubleValue() : Double.NaN;
            String labels = String.format(Locale.ROOT, "%s%% (%s + %s val)", trimPct(100 * frac),
                    f.get("train_images") == null ? "-" : f.get("train_images"),
                    f.get("validation_images") == null ? "-" : f.get("validation_images"));
            for (String[] enc : new String[][] {{"pretrained", "pre-trained " + pretrainedName},
                    {"random_init", "random-init " + backbone}}) {
                if (f.get(enc[0]) instanceof Map<?, ?> r) {
                    sb.append(String.format(Locale.ROOT, "| %-38s | %-23s | %6s | %6s | %7s |%n", enc[1], labels,
                            pct(r.get("top1")), pct(r.get("top5")), r.get("selected_epoch") + "/" + f.get("epochs")));
                }
            }
            if (f.get("failure") != null) {
                sb.append(String.format(Locale.ROOT, "| %-38s | %-23s | %6s | %6s | %7s |%n", "failed: see failures",
                        labels, "-", "-", "-"));
            }
        });
        if (linearProbe != null) {
            for (String[] enc : new String[][] {{"pretrained", "linear probe, frozen pre-trained"},
                    {"random_init", "linear probe, frozen random-init"}}) {
                if (linearProbe.get(enc[0]) instanceof Map<?, ?> r) {
                    sb.append(String.format(Locale.ROOT, "| %-38s | %-23s | %6s | %6s | %7s |%n", enc[1],
                            "100% (report.json)", pct(r.get("top1")), pct(r.get("top5")), ""));
                }
            }
        }
        return sb.toString();
    }

    /** 10.0 -> "10", 0.5 -> "0.5". */
    private static String trimPct(double p) {
        if (!Double.isFinite(p)) {
            return "?";
        }
        return java.math.BigDecimal.valueOf(p).round(new java.math.MathContext(6)).stripTrailingZeros()
                .toPlainString();
    }

    private void row(StringBuilder sb, String name, String prefix) {
        if (get(prefix + ".linear_top1") == null) {
            return;
        }
        sb.append(String.format(Locale.ROOT, "| %-28s | %12s | %12s | %9s |%n", name,
                pct(get(prefix + ".linear_top1")), pct(get(prefix + ".linear_top5")), pct(get(prefix + ".knn_top1"))));
    }

    private static String pct(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.1f%%", 100 * n.doubleValue()) : "-";
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Pretext run ").append(get("run_id")).append("\n\n");
        if (!"complete".equals(get("status"))) {
            sb.append("**Status: ").append(get("status")).append(".**");
            if (get("failures") instanceof Map<?, ?> f && !f.isEmpty()) {
                sb.append(" Failed:\n\n");
                f.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
            }
            sb.append("\n\n");
        }
        sb.append(String.format(Locale.ROOT, "%s on %s (%s images train, %s test, %s unlabeled); backbone %s width %s; trainer %s.%n%n",
                get("method"), get("dataset.format"), get("dataset.train_images"), get("dataset.test_images"),
                get("dataset.unlabeled_images"), get("backbone"), get("width"), get("pretrain.trainer")));
        if (get("pretrain.epochs") != null) {
            sb.append(String.format(Locale.ROOT, "Pre-training on the %s split(s): %s images, %s per epoch in whole"
                            + " minibatches of %s (%s dropped as incomplete batches); %s epochs in %.0f s, %.1f source"
                            + " images/s, final loss %.4f (stopped: %s; bounded by %s).%n%n",
                    get("pretrain.splits"), get("pretrain.images"), get("pretrain.images_per_epoch"),
                    get("pretrain.batch_size"), get("pretrain.images_dropped_per_epoch"), get("pretrain.epochs"),
                    num("pretrain.seconds"), num("pretrain.images_per_s"), num("pretrain.final_loss"),
                    get("pretrain.stopped_reason"), get("pretrain.bound")));
            sb.append(String.format(Locale.ROOT, "Optimiser %s, peak learning rate %s; schedule followed: `%s`.%s%n%n",
                    get("pretrain.optimizer"), get("pretrain.lr"), get("pretrain.schedule"),
                    get("pretrain.monitor_knn_top1") == null ? ""
                            : String.format(Locale.ROOT, " Last kNN monitor top-1: %.1f%%.",
                            100 * num("pretrain.monitor_knn_top1"))));
        }
        sb.append(summaryTable()).append('\n');
        Object pre = get("probe.linear_top1"), rnd = get("baselines.random_init.linear_top1");
        if (pre instanceof Number p && rnd instanceof Number r && p.doubleValue() < r.doubleValue()) {
            sb.append(String.format(Locale.ROOT, "**Warning: the pre-trained encoder scores below the same architecture"
                    + " at random initialisation (%.1f%% vs %.1f%% linear top-1): pre-training has not helped yet;"
                    + " train longer, or check the learning rate and the kNN monitor curve in metrics.jsonl.**%n%n",
                    100 * p.doubleValue(), 100 * r.doubleValue()));
        }
        if (get("timings") instanceof Map<?, ?> t && !t.isEmpty()) {
            sb.append("Seconds per stage:");
            t.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.0f;", k, ((Number) v).doubleValue())));
            sb.setLength(sb.length() - 1);
            sb.append(".\n\n");
        }
        sb.append("Linear probe: multinomial logistic regression on standardised features, regularisation chosen on a ")
                .append("validation split of the training features; kNN: cosine, temperature-weighted votes.\n\n");
        if (get("finetune") instanceof Map<?, ?> ft && !ft.isEmpty()) {
            sb.append("Fine-tuning: the whole encoder and a linear softmax head trained (Adam, paramavg) on a seeded,")
                    .append(" class-stratified labelled fraction of the train split, light augmentation (crop, flip),")
                    .append(" the epoch kept by top-1 on a validation hold-out of that sample, scored on the test split;")
                    .append(" `finetune-<fraction>.json` has each run's details.\n\n");
        }
        sb.append("Files: `config.conf` (resolved config), `metrics.jsonl` (per chunk), `summary.json` (how")
                .append(" pre-training ended), `checkpoints/` (`latest` names the newest), `features/` (one table per")
                .append(" representation), `report.json`, `report.md`; `images/` when the run ingested its data.\n");
        return sb.toString();
    }

    private double num(String path) {
        Object v = get(path);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * Writes report.json and report.md into the run directory (each atomically; local or on any
     * Hadoop file system). Values of credential-like keys, and passwords in URIs, are redacted
     * ({@link Secrets}).
     */
    public void write(FsDir runDir) throws IOException {
        // arrays on one line: a confusion matrix would otherwise take one line per count
        com.fasterxml.jackson.databind.ObjectWriter pretty = new ObjectMapper().writer(
                new com.fasterxml.jackson.core.util.DefaultPrettyPrinter().withArrayIndenter(
                        com.fasterxml.jackson.core.util.DefaultPrettyPrinter.FixedSpaceIndenter.instance));
        runDir.child("report.json").writeAtomically(pretty.writeValueAsString(Secrets.redactTree(root)));
        runDir.child("report.md").writeAtomically(Secrets.redactText(markdown()));
    }

    public void write(Path runDir) throws IOException {
        write(FsDir.local(runDir));
    }

    static void writeAtomically(Path target, String text) throws IOException {
        FsDir.local(target).writeAtomically(text);
    }
}
