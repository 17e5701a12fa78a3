package dev.pretext.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.Manifest;
import dev.pretext.train.MetricsLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the report reads of a run directory: {@code report.json}, {@code metrics.jsonl},
 * {@code config.conf} (text and parsed), and the manifests of its images and features tables.
 * Each may be missing (a run that stopped early); a directory with none of the first three is not
 * a run.
 */
public final class RunFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode report;
    private final List<JsonNode> metrics;
    private final String configText;

    private RunFiles(Path dir, JsonNode report, List<JsonNode> metrics, String configText) {
        this.dir = dir;
        this.report = report;
        this.metrics = metrics;
        this.configText = configText;
    }

    /** Reads {@code dir}; a UserError when it is not a run directory. */
    public static RunFiles read(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) {
            throw new UserError("report: " + dir + " is not a directory; give a run directory such as runs/<run-id>");
        }
        Path json = d.resolve("report.json");
        Path conf = d.resolve("config.conf");
        List<JsonNode> metrics = MetricsLog.read(d);
        if (!Files.isRegularFile(json) && !Files.isRegularFile(conf) && metrics.isEmpty()) {
            throw new UserError("report: " + dir + " is not a run directory (no report.json, config.conf or "
                    + MetricsLog.FILE + "); pipeline writes them to runs/<run-id>");
        }
        try {
            JsonNode report = Files.isRegularFile(json) ? JSON.readTree(json.toFile()) : MissingNode.getInstance();
            String text = Files.isRegularFile(conf) ? Files.readString(conf) : null;
            return new RunFiles(d, report, metrics, text);
        } catch (IOException e) {
            throw new UserError("report: cannot read " + json + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The run id: report.json's, else the directory's name. */
    public String id() {
        String id = text("run_id");
        return id == null ? dir.getFileName().toString() : id;
    }

    public JsonNode report() {
        return report;
    }

    public List<JsonNode> metrics() {
        return metrics;
    }

    /** config.conf as written, or null. */
    public String configText() {
        return configText;
    }

    /** config.conf parsed over the defaults; empty when there is none. */
    public Optional<PretextConfig> config() {
        if (configText == null) {
            return Optional.empty();
        }
        return Optional.of(ConfigLoader.load(List.of(dir.resolve("config.conf").toFile()), List.of()));
    }

    /** A node of report.json at a dotted path (missing node when absent). */
    public JsonNode at(String path) {
        return report.at("/" + path.replace('.', '/'));
    }

    /** A finite number of report.json at a dotted path, or null. */
    public Double num(String path) {
        JsonNode n = at(path);
        return n.isNumber() && Double.isFinite(n.asDouble()) ? n.asDouble() : null;
    }

    /** A value of report.json at a dotted path as text, or null. */
    public String text(String path) {
        JsonNode n = at(path);
        return n.isMissingNode() || n.isNull() ? null : n.isValueNode() ? n.asText() : n.toString();
    }

    /** The split the probes scored ({@code dataset.test_split}, else {@code test}). */
    public String testSplit() {
        String s = text("dataset.test_split");
        return s == null ? "test" : s;
    }

    /**
     * The run's images table: its own {@code images/} when it ingested, else the config's
     * {@code data.table}; empty when neither is a committed table on this machine.
     */
    public Optional<Path> imagesTable() {
        if (Files.isRegularFile(dir.resolve("images").resolve(Manifest.FILE_NAME))) {
            return Optional.of(dir.resolve("images"));
        }
        try {
            Optional<PretextConfig> cfg = config();
            if (cfg.isPresent() && !cfg.get().dataTable.isEmpty()) {
                Path t = Path.of(cfg.get().dataTable.replaceFirst("^file:", ""));
                if (Files.isRegularFile(t.resolve(Manifest.FILE_NAME))) {
                    return Optional.of(t);
                }
            }
        } catch (RuntimeException e) {
            // a config the current code no longer accepts: no images table for the report
        }
        return Optional.empty();
    }

    /** The manifest of a table, or null when it has none (not committed, or not on this machine). */
    public static Manifest manifest(Path table) {
        Path f = table.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return Manifest.fromJson(Files.readString(f));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** The features tables of the run ({@code features/<name>} with a manifest), by name. */
    public List<Path> featuresTables() {
        List<Path> out = new ArrayList<>();
        Path f = dir.resolve("features");
        if (!Files.isDirectory(f)) {
            return out;
        }
        try (var s = Files.list(f)) {
            s.filter(p -> Files.isRegularFile(p.resolve(Manifest.FILE_NAME))).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + f, e);
        }
        return out;
    }

    /**
     * Names of classes 0 .. n-1: the images table's (its manifest's {@code class_names} or
     * {@code classes}) where known, else {@code class k}.
     */
    public List<String> classNames(int n) {
        List<String> names = new ArrayList<>();
        Manifest m = imagesTable().map(RunFiles::manifest).orElse(null);
        if (m != null && m.extra() != null) {
            Object v = m.extra().getOrDefault("class_names", m.extra().get("classes"));
            if (v instanceof List<?> l) {
                l.forEach(x -> names.add(String.valueOf(x)));
            }
        }
        for (int k = names.size(); k < n; k++) {
            names.add("class " + k);
        }
        return names.subList(0, Math.max(n, 0));
    }
}
