package dev.pretext.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.method.Methods;
import dev.pretext.train.MetricsLog;
import dev.pretext.train.TrainingStoppedException;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * {@code compare}: several methods on the same images table, backbone, budget, seed and evaluation,
 * one {@link Pipeline} run each ({@code <out>/<method>/}), side by side in {@code compare.json},
 * {@code compare.md} and {@code compare.png} (loss and effective rank against training seconds).
 * The images table is ingested once ({@code <out>/images}, or {@code data.table}); the baselines
 * (random-init encoder, raw pixels) do not depend on the method and are computed once, by the first
 * run that gets through its evaluations. A method that fails (a config error, training stopped as
 * collapsed or diverged, out of memory, any exception) gets a row with its status and reason and
 * the others still run; the three files are rewritten after every method.
 */
public final class Compare {
    public static final String JSON_FILE = "compare.json";
    public static final String MD_FILE = "compare.md";
    public static final String PNG_FILE = "compare.png";
    public static final String OK = "ok";
    public static final String FAILED = "failed";
    public static final String PENDING = "pending";

    /** The config of one method's run: the user's --conf files and --set, then {@code overrides} (they win). */
    @FunctionalInterface
    public interface Configs {
        PretextConfig load(List<String> overrides);
    }

    /** Runs one method's pipeline; the default runs {@link Pipeline} in-process. */
    @FunctionalInterface
    public interface MethodRunner {
        void run(SparkSession spark, PretextConfig cfg) throws Exception;
    }

    /** One row of the table: a method's run, or a baseline. Numbers are null when not measured. */
    public record Row(String name, String kind, String status, String reason, Double linearTop1, Double linearTop5,
                      Double knnTop1, Double imagesPerS, Double pretrainSeconds, Double finalLoss, Double embeddingStd,
                      Double effectiveRank, Integer epochs, Integer steps, String stoppedReason, Double wallSeconds,
                      String runDir) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("kind", kind);
            m.put("status", status);
            m.put("reason", reason);
            m.put("linear_top1", linearTop1);
            m.put("linear_top5", linearTop5);
            m.put("knn_top1", knnTop1);
            if (kind.equals("method")) {
                m.put("images_per_s", imagesPerS);
                m.put("pretrain_seconds", pretrainSeconds);
                m.put("final_loss", finalLoss);
                m.put("embedding_std", embeddingStd);
                m.put("effective_rank", effectiveRank);
                m.put("epochs", epochs);
                m.put("steps", steps);
                m.put("stopped_reason", stoppedReason);
                m.put("wall_seconds", wallSeconds);
            }
            m.put("run_dir", runDir);
            return m;
        }
    }

    /** What the runs gave: every method's row, and how many failed. */
    public record Outcome(List<Row> rows, List<Row> failed) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One run of the comparison: its id (row name and directory {@code <out>/<id>/}), its method,
     * and config overrides of its own (a variant's).
     */
    public record Run(String id, String method, List<String> overrides) {
        public Run {
            overrides = List.copyOf(overrides);
        }

        public static Run of(String method) {
            return new Run(method, method, List.of());
        }
    }

    /** The methods as runs, one each. */
    public static List<Run> runs(List<String> methods) {
        return methods.stream().map(Run::of).toList();
    }

    /**
     * {@code --variants}: MV-MR runs over descriptor subsets, {@code ;}-separated, each a
     * comma-separated list of descriptors or {@code all} (method.mvmr.descriptors' default, the
     * paper's five), e.g. {@code "all;hog;lsd;scattering"}: the paper's ablation of one
     * representation against all five. The runs are named {@code mvmr-<d1>_<d2>} ({@code mvmr-all})
     * and take the place of {@code mvmr} in {@code --methods} (or follow the methods).
     */
    public static List<Run> withVariants(List<String> methods, String variants) {
        List<Run> out = new ArrayList<>();
        List<Run> vs = new ArrayList<>();
        for (String v : variants.split(";")) {
            String spec = v.trim();
            if (spec.isEmpty()) {
                continue;
            }
            if (spec.equals("all")) {
                vs.add(new Run(dev.pretext.method.MvMr.NAME + "-all", dev.pretext.method.MvMr.NAME, List.of()));
                continue;
            }
            List<String> ds = Arrays.stream(spec.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
            for (String d : ds) {
                if (!dev.pretext.describe.Descriptors.NAMES.contains(d)) {
                    throw new UserError("compare: --variants: unknown descriptor '" + d + "' in '" + spec + "'; give"
                            + " ;-separated subsets of " + String.join(", ", dev.pretext.describe.Descriptors.NAMES)
                            + " (or all)");
                }
            }
            vs.add(new Run(dev.pretext.method.MvMr.NAME + "-" + String.join("_", ds), dev.pretext.method.MvMr.NAME,
                    List.of("method.mvmr.descriptors=[" + String.join(",", ds) + "]")));
        }
        if (vs.isEmpty()) {
            throw new UserError("compare: --variants lists no descriptor subset, e.g. --variants \"all;hog;lsd\"");
        }
        boolean placed = false;
        for (String m : methods) {
            if (m.equals(dev.pretext.method.MvMr.NAME)) {
                out.addAll(vs);
                placed = true;
            } else {
                out.add(Run.of(m));
            }
        }
        if (!placed) {
            out.addAll(vs);
        }
        if (out.stream().map(Run::id).distinct().count() < out.size()) {
            throw new UserError("compare: --variants names a subset twice: " + variants);
        }
        return out;
    }

    private final List<String> methods;
    private final List<Run> runs;
    private final Path out;
    private final Configs configs;
    private final PretextConfig base;
    private final String commandLine;
    private final BooleanSupplier interrupted;
    private final MethodRunner runner;

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final Map<String, List<JsonNode>> metrics = new LinkedHashMap<>();
    private final List<Row> baselines = new ArrayList<>();
    private String baselinesFrom;
    private String table;
    private JsonNode dataset;
    private String status = "running";

    /**
     * @param methods     validated ({@link #parseMethods})
     * @param base        the user's config without the per-method overrides (shared settings, for the header)
     * @param commandLine how the user started it, for the files
     * @param interrupted true once Ctrl-C was pressed: a failure then ends the comparison instead of a row
     */
    public Compare(List<String> methods, Path out, Configs configs, PretextConfig base, String commandLine,
                   BooleanSupplier interrupted) {
        this(methods, out, configs, base, commandLine, interrupted, Compare::runPipeline);
    }

    public Compare(List<String> methods, Path out, Configs configs, PretextConfig base, String commandLine,
                   BooleanSupplier interrupted, MethodRunner runner) {
        this(runs(methods), out, configs, base, commandLine, interrupted, runner, true);
    }

    /** Runs, e.g. with MV-MR variants ({@link #withVariants}). */
    public static Compare ofRuns(List<Run> runs, Path out, Configs configs, PretextConfig base, String commandLine,
                                 BooleanSupplier interrupted) {
        return new Compare(runs, out, configs, base, commandLine, interrupted, Compare::runPipeline, true);
    }

    private Compare(List<Run> runs, Path out, Configs configs, PretextConfig base, String commandLine,
                    BooleanSupplier interrupted, MethodRunner runner, boolean ignored) {
        this.runs = List.copyOf(runs);
        this.methods = this.runs.stream().map(Run::id).toList();
        this.out = out.toAbsolutePath().normalize();
        this.configs = configs;
        this.base = base;
        this.commandLine = commandLine;
        this.interrupted = interrupted;
        this.runner = runner;
    }

    /** {@code --methods a,b,c}: trimmed, known to {@link Methods}, each once; a UserError otherwise. */
    public static List<String> parseMethods(String list) {
        List<String> names = list == null ? List.of()
                : Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (names.isEmpty()) {
            throw new UserError("compare: --methods lists no method; give a comma-separated list of: "
                    + String.join(", ", Methods.names()));
        }
        List<String> unknown = names.stream().filter(n -> !Methods.names().contains(n)).toList();
        if (!unknown.isEmpty()) {
            throw new UserError("compare: unknown method" + (unknown.size() > 1 ? "s " : " ") + "'"
                    + String.join("', '", unknown) + "' in --methods; available: " + String.join(", ", Methods.names()));
        }
        if (new LinkedHashSet<>(names).size() < names.size()) {
            throw new UserError("compare: --methods names a method twice: " + String.join(",", names));
        }
        return names;
    }

    /** Refuses an --out that exists and is not an empty directory (a comparison is never mixed with another). */
    public static void checkOut(Path out) {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new UserError("compare: --out " + out + " is a file; give a new or empty directory");
        }
        try (Stream<Path> s = Files.list(out)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().limit(5).toList();
            if (!names.isEmpty()) {
                throw new UserError("compare: --out " + out + " is not empty (it holds " + String.join(", ", names)
                        + (names.contains(JSON_FILE) ? ": an earlier comparison" : "")
                        + "); give a new or empty directory");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + out, e);
        }
    }

    public Path out() {
        return out;
    }

    /** Runs every method in order; the files are written after each. */
    public Outcome run(SparkSession spark) throws Exception {
        boolean created = !Files.exists(out);
        Files.createDirectories(out);
        try {
            table = base.dataTable.isEmpty()
                    ? Pipeline.ingest(spark, base, out.resolve("images"), out, "compare")
                    : base.dataTable;
        } catch (RuntimeException | Error e) {
            if (created) {
                deleteRecursively(out);   // nothing worth keeping yet
            }
            throw e;
        }
        for (String m : methods) {
            rows.put(m, new Row(m, "method", PENDING, null, null, null, null, null, null, null, null, null, null,
                    null, null, null, null));
        }
        write();
        Map<String, String> sharedDescriptors = sharedDescriptors(spark);
        for (int i = 0; i < methods.size(); i++) {
            Run run = runs.get(i);
            String m = run.id();
            System.err.printf(Locale.ROOT, "compare: [%d/%d] %s ...%n", i + 1, methods.size(), m);
            boolean computeBaselines = base.baselines && baselinesFrom == null;
            List<String> overrides = new ArrayList<>(List.of("method.name=" + run.method(), "data.table=" + quote(table),
                    "run.dir=" + quote(out.toString()), "run.id=" + m, "eval.baselines=" + computeBaselines));
            overrides.addAll(run.overrides());
            if (sharedDescriptors.containsKey(m)) {
                overrides.add("data.descriptors=" + quote(sharedDescriptors.get(m)));
            }
            long t0 = System.nanoTime();
            String st = OK;
            String reason = null;
            try {
                runner.run(spark, configs.load(overrides));
            } catch (Throwable t) {
                if (interrupted.getAsBoolean() || (t instanceof VirtualMachineError && !(t instanceof OutOfMemoryError))) {
                    status = "interrupted";
                    rows.put(m, read(m, FAILED, "interrupted", (System.nanoTime() - t0) / 1e9));
                    write();
                    throw t;
                }
                st = status(t);
                reason = reason(t);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            Row row = read(m, st, reason, wall);
            rows.put(m, row);
            if (computeBaselines) {
                takeBaselines(m);
            }
            System.err.printf(Locale.ROOT, "compare: [%d/%d] %s %s in %.0f s%s%n", i + 1, methods.size(), m,
                    st.equals(OK) ? "done" : st, wall, st.equals(OK)
                            ? ": linear top-1 " + pct(row.linearTop1()) + ", kNN top-1 " + pct(row.knnTop1())
                            : ": " + reason);
            write();
        }
        List<Row> failed = rows.values().stream().filter(r -> !r.status().equals(OK)).toList();
        status = failed.isEmpty() ? "complete" : failed.size() == methods.size() ? "failed" : "partial";
        write();
        return new Outcome(List.copyOf(rows.values()), failed);
    }

    /**
     * The runs that read only handcrafted descriptors (MV-MR and its variants) share one descriptors
     * table, {@code <out>/descriptors}, with the union of their columns, computed once here instead
     * of once per run (the scattering transform dominates). Runs with teacher columns compute their
     * own (a teacher may be a run of this comparison, trained only later). Nothing is shared when
     * the user gave data.descriptors. Returns run id to table.
     */
    private Map<String, String> sharedDescriptors(SparkSession spark) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!base.dataDescriptors.isEmpty()) {
            return out;
        }
        List<String> union = new ArrayList<>();
        PretextConfig cfg = null;
        for (Run r : runs) {
            List<String> o = new ArrayList<>(List.of("method.name=" + r.method()));
            o.addAll(r.overrides());
            try {
                PretextConfig c = configs.load(o);
                dev.pretext.method.Representations reps = c.method().representations();
                if (!reps.descriptors().isEmpty() && reps.teachers().isEmpty()) {
                    reps.descriptors().stream().filter(d -> !union.contains(d)).forEach(union::add);
                    out.put(r.id(), null);
                    cfg = cfg == null ? c : cfg;
                }
            } catch (RuntimeException e) {
                // that run fails in its own row, with its own message
            }
        }
        if (out.size() < 2) {
            return Map.of();
        }
        Path dir = this.out.resolve("descriptors");
        System.err.printf(Locale.ROOT, "compare: one descriptors table %s for %s%n", union, out.keySet());
        DescribeStage.computed(spark, cfg, new dev.pretext.method.Representations(union, List.of()), table,
                dev.pretext.data.FsDir.local(dir), false);
        out.replaceAll((k, v) -> dir.toString());
        return out;
    }

    private static void runPipeline(SparkSession spark, PretextConfig cfg) throws Exception {
        Pipeline p = new Pipeline(cfg);
        try (RunLock ignored = p.open()) {
            p.run(spark);
        }
    }

    /** {@code collapsed} or {@code diverged} when training stopped for that; else {@code failed}. */
    static String status(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (x instanceof TrainingStoppedException s && s.summary() != null) {
                return s.summary().stoppedReason();
            }
        }
        return FAILED;
    }

    /** The first line of the message a user needs: a UserError's own, else the root cause (and what to raise for OOM). */
    static String reason(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (x instanceof UserError) {
                String msg = String.valueOf(x.getMessage());
                int nl = msg.indexOf('\n');
                return nl > 0 ? msg.substring(0, nl) : msg;
            }
        }
        return Failures.describe(t);
    }

    /** The row of a method's run, from its report.json, metrics.jsonl and summary.json (whatever exists). */
    private Row read(String m, String st, String reason, double wall) {
        Path run = out.resolve(m);
        JsonNode report = readJson(run.resolve("report.json"));
        JsonNode summary = readJson(run.resolve("summary.json"));
        List<JsonNode> lines = MetricsLog.read(run);
        metrics.put(m, lines);
        if (dataset == null && report != null && report.has("dataset")) {
            dataset = report.get("dataset");
        }
        JsonNode last = lines.isEmpty() ? null : lines.get(lines.size() - 1);
        double ipsSum = 0;
        int ipsN = 0;
        for (JsonNode l : lines) {
            JsonNode v = l.get("images_per_s");
            if (v != null && v.isNumber() && Double.isFinite(v.asDouble())) {
                ipsSum += v.asDouble();
                ipsN++;
            }
        }
        Double ips = ipsN > 0 ? ipsSum / ipsN : first(num(summary, "images_per_s"), num(report, "pretrain.images_per_s"));
        Double seconds = first(num(report, "pretrain.seconds"), num(summary, "seconds"), num(last, "elapsed_s"));
        Double loss = first(num(report, "pretrain.final_loss"), num(summary, "final_loss"), num(last, "loss"));
        Double epochs = first(num(report, "pretrain.epochs"), num(summary, "epochs_completed"));
        Double steps = first(num(report, "pretrain.steps"), num(summary, "steps"), num(last, "step"));
        String stopped = report != null && report.at("/pretrain/stopped_reason").isTextual()
                ? report.at("/pretrain/stopped_reason").asText()
                : summary != null && summary.path("stopped_reason").isTextual() ? summary.get("stopped_reason").asText() : null;
        return new Row(m, "method", st, reason, num(report, "probe.linear_top1"), num(report, "probe.linear_top5"),
                num(report, "probe.knn_top1"), ips, seconds, loss, num(last, "embedding_std"),
                num(last, "effective_rank"), epochs == null ? null : epochs.intValue(),
                steps == null ? null : steps.intValue(), stopped, wall, Files.isDirectory(run) ? run.toString() : null);
    }

    private void takeBaselines(String m) {
        JsonNode report = readJson(out.resolve(m).resolve("report.json"));
        if (report == null) {
            return;
        }
        List<Row> found = new ArrayList<>();
        String backbone = base.backbone;
        for (String[] b : new String[][]{{"random_init", "random-init " + backbone}, {"raw_pixels", "raw pixels"}}) {
            String p = "baselines." + b[0];
            Double top1 = num(report, p + ".linear_top1");
            if (top1 != null) {
                found.add(new Row(b[1], "baseline", OK, null, top1, num(report, p + ".linear_top5"),
                        num(report, p + ".knn_top1"), null, null, null, null, null, null, null, null, null,
                        out.resolve(m).resolve("features").resolve(b[0]).toString()));
            }
        }
        if (!found.isEmpty()) {
            baselines.clear();
            baselines.addAll(found);
            baselinesFrom = m;
        }
    }

    /** Writes compare.json, compare.md and compare.png (each atomically). */
    private void write() throws IOException {
        RunReport.writeAtomically(out.resolve(JSON_FILE), JSON.writeValueAsString(json()));
        RunReport.writeAtomically(out.resolve(MD_FILE), markdown());
        try {
            plot(out.resolve(PNG_FILE));
        } catch (IOException | RuntimeException | LinkageError e) {
            // the table matters more than the picture: say so and go on
            System.err.println("compare: could not draw " + PNG_FILE + ": " + e);
        }
    }

    private Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("status", status);
        j.put("command", commandLine);
        j.put("config", settings());
        j.put("images_table", table);
        if (dataset != null) {
            j.put("dataset", JSON.convertValue(dataset, Map.class));
        }
        List<Map<String, Object>> r = new ArrayList<>();
        rows.values().forEach(x -> r.add(x.json()));
        j.put("rows", r);
        List<Map<String, Object>> b = new ArrayList<>();
        baselines.forEach(x -> b.add(x.json()));
        j.put("baselines", b);
        j.put("baselines_from", baselinesFrom);
        Map<String, Object> curves = new LinkedHashMap<>();
        metrics.forEach((m, lines) -> {
            Map<String, Object> c = new LinkedHashMap<>();
            for (String k : List.of("elapsed_s", "step", "loss", "effective_rank", "embedding_std")) {
                List<Double> v = new ArrayList<>();
                lines.forEach(l -> v.add(num(l, k)));
                c.put(k, v);
            }
            curves.put(m, c);
        });
        j.put("curves", curves);
        return j;
    }

    /** The settings every method shared. */
    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("methods", methods);
        s.put("data_format", base.dataFormat);
        s.put("backbone", base.backbone);
        s.put("width", base.width);
        s.put("seed", base.seed);
        s.put("budget", budget());
        s.put("train_epochs", base.epochs);
        s.put("train_max_seconds", base.maxSeconds);
        s.put("batch_size", base.batchSize);
        s.put("trainer", base.trainer);
        s.put("workers", base.workers);
        s.put("optimizer", base.optimizer);
        s.put("lr", base.lr);
        s.put("baselines", base.baselines);
        s.put("eval_reg_grid", base.regGrid);
        s.put("eval_max_iter", base.maxIter);
        s.put("eval_knn_k", base.knnK);
        s.put("eval_test_split", base.testSplit);
        return s;
    }

    private String budget() {
        return base.maxSeconds > 0
                ? String.format(Locale.ROOT, "train.max-seconds=%s (at most train.epochs=%d)", trim(base.maxSeconds), base.epochs)
                : "train.epochs=" + base.epochs;
    }

    /** The markdown report: what was compared and how, the table, the failures, the plot. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Pretext compare: ").append(String.join(", ", methods)).append("\n\n");
        if (!status.equals("complete")) {
            sb.append("**Status: ").append(status).append(".**\n\n");
        }
        sb.append("    ").append(commandLine).append("\n\n");
        sb.append(String.format(Locale.ROOT, "Every method on the same images table (`%s`, %s%s), backbone %s width %s,"
                        + " batch %d, seed %d, budget %s, trainer %s with %d worker(s), optimiser %s at peak rate %s;"
                        + " the same evaluation (linear probe and kNN on frozen features).%n%n",
                table, base.dataFormat, dataset == null ? "" : String.format(Locale.ROOT, ": %s train, %s %s images",
                        dataset.path("train_images").asText("?"), dataset.path("test_images").asText("?"),
                        dataset.path("test_split").asText("test")),
                base.backbone, trim(base.width), base.batchSize, base.seed, budget(), base.trainer, base.workers,
                base.optimizer, base.lr));
        sb.append(table());
        sb.append('\n');
        List<Row> bad = rows.values().stream().filter(r -> !r.status().equals(OK) && !r.status().equals(PENDING)).toList();
        if (!bad.isEmpty()) {
            sb.append("Not completed:\n\n");
            bad.forEach(r -> sb.append("- ").append(r.name()).append(" (").append(r.status()).append("): ")
                    .append(r.reason() == null ? "" : r.reason()).append('\n'));
            sb.append('\n');
        }
        sb.append("Source images/s: mean over the chunks of `metrics.jsonl`; embedding std and effective rank: the last"
                + " chunk's (collapse shows as a std near 0 and a rank near 1).");
        if (baselinesFrom != null) {
            sb.append(" The baselines do not depend on the method; they were computed once, in the ")
                    .append(baselinesFrom).append(" run.");
        }
        sb.append("\n\n![loss and effective rank against training seconds](").append(PNG_FILE).append(")\n\n");
        sb.append("Each method's run: `<out>/<method>/` (`report.md`, `metrics.jsonl`, `summary.json`, `config.conf`).\n");
        return sb.toString();
    }

    /** The table alone (what {@code compare} prints), columns padded to line up. */
    public String table() {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[]{"method", "status", "linear top-1", "linear top-5", "kNN top-1", "source img/s",
                "pretrain s", "final loss", "emb. std", "eff. rank"});
        for (Row r : rows.values()) {
            cells.add(new String[]{r.name(), r.status(), pct(r.linearTop1()), pct(r.linearTop5()), pct(r.knnTop1()),
                    fixed(r.imagesPerS(), 1), fixed(r.pretrainSeconds(), r.pretrainSeconds() != null && r.pretrainSeconds() < 100 ? 1 : 0), sig(r.finalLoss()), sig(r.embeddingStd()),
                    fixed(r.effectiveRank(), 1)});
        }
        for (Row r : baselines) {
            cells.add(new String[]{r.name(), "baseline", pct(r.linearTop1()), pct(r.linearTop5()), pct(r.knnTop1()),
                    "", "", "", "", ""});
        }
        int[] w = new int[cells.get(0).length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < cells.size(); k++) {
            String[] c = cells.get(k);
            sb.append('|');
            for (int i = 0; i < c.length; i++) {
                String f = i < 2 ? "%-" + w[i] + "s" : "%" + w[i] + "s";
                sb.append(' ').append(String.format(Locale.ROOT, f, c[i])).append(" |");
            }
            sb.append('\n');
            if (k == 0) {
                sb.append('|');
                for (int i = 0; i < c.length; i++) {
                    sb.append(i < 2 ? "-" : "").append("-".repeat(w[i] + 1)).append(i < 2 ? "" : ":").append('|');
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private void plot(Path png) throws IOException {
        List<CurvePlot.Series> series = new ArrayList<>();
        for (String m : methods) {
            List<JsonNode> lines = metrics.getOrDefault(m, List.of());
            boolean time = lines.stream().anyMatch(l -> num(l, "elapsed_s") != null);
            String x = time ? "elapsed_s" : "step";
            Row r = rows.get(m);
            String label = r == null || r.status().equals(OK) ? m : m + " (" + r.status() + ")";
            series.add(new CurvePlot.Series(label, List.of(points(lines, x, "loss"), points(lines, x, "effective_rank"))));
        }
        CurvePlot.write(png, List.of(
                new CurvePlot.Panel("pre-training loss (monitor batch)", "training seconds", "loss"),
                new CurvePlot.Panel("effective rank of the embedding", "training seconds", "effective rank")), series);
    }

    private static double[][] points(List<JsonNode> lines, String x, String y) {
        double[][] p = new double[lines.size()][];
        for (int i = 0; i < p.length; i++) {
            Double a = num(lines.get(i), x);
            Double b = num(lines.get(i), y);
            p[i] = new double[]{a == null ? Double.NaN : a, b == null ? Double.NaN : b};
        }
        return p;
    }

    private static JsonNode readJson(Path f) {
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            return null;   // a file cut short: the row shows what the others give
        }
    }

    /** A finite number at a dotted path, else null. */
    static Double num(JsonNode n, String path) {
        if (n == null) {
            return null;
        }
        for (String p : path.split("\\.")) {
            n = n.path(p);
        }
        return n.isNumber() && Double.isFinite(n.asDouble()) ? n.asDouble() : null;
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    static String pct(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String fixed(Double v, int digits) {
        return v == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** Four significant digits (losses range from -1 to thousands, stds from 1e-5 to 1). */
    private static String sig(Double v) {
        if (v == null) {
            return "-";
        }
        double a = Math.abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.3g", v)
                : String.format(Locale.ROOT, "%." + Math.max(0, 3 - (a == 0 ? 0 : (int) Math.floor(Math.log10(a)))) + "f", v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
