package dev.pretext.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Appends one JSON object per line to {@code metrics.jsonl}. Non-finite numbers are written as
 * {@code null} (JSON has no NaN), so every column keeps one type for readers such as pandas.
 */
public final class MetricsLog {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    public MetricsLog(Path runDir) {
        this.file = runDir.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /**
     * Keeps only the rows up to a checkpoint: those of epochs before {@code epochsDone} and, of
     * epoch {@code epochsDone + 1}, the first {@code chunksDone} chunks. A resumed run thus never
     * shows the chunks of an interrupted attempt beside its own. Rewritten atomically (temporary
     * file + rename); returns the rows dropped.
     */
    public int truncateAfter(int epochsDone, int chunksDone) {
        if (!Files.exists(file)) {
            return 0;
        }
        try {
            java.util.List<String> keep = new java.util.ArrayList<>();
            int dropped = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                com.fasterxml.jackson.databind.JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException bad) {
                    dropped++;   // a line cut short by a crash
                    continue;
                }
                int epoch = n.path("epoch").asInt(Integer.MAX_VALUE);
                int chunk = n.path("chunk").asInt(Integer.MAX_VALUE);
                if (epoch <= epochsDone || (epoch == epochsDone + 1 && chunk <= chunksDone)) {
                    keep.add(line);
                } else {
                    dropped++;
                }
            }
            if (dropped > 0) {
                Path tmp = file.resolveSibling(FILE + ".tmp");
                Files.write(tmp, keep, StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return dropped;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file, e);
        }
    }

    /**
     * The lines of a run's {@code metrics.jsonl} in order; none when the file is missing, and a line
     * cut short by a crash is passed over.
     */
    public static java.util.List<com.fasterxml.jackson.databind.JsonNode> read(Path runDir) {
        java.util.List<com.fasterxml.jackson.databind.JsonNode> out = new java.util.ArrayList<>();
        Path f = runDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    try {
                        out.add(JSON.readTree(line));
                    } catch (IOException bad) {
                        // a line cut short by a crash
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
        return out;
    }

    public void append(Map<String, Object> record) {
        Map<String, Object> clean = new LinkedHashMap<>();
        record.forEach((k, v) -> clean.put(k, v instanceof Double d && !Double.isFinite(d) ? null : v));
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writeValueAsString(clean) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }
}
