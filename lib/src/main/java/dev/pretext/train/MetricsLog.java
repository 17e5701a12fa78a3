package dev.pretext.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.data.FsDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Appends one JSON object per line to {@code metrics.jsonl} (in a run directory on any Hadoop file
 * system, {@link FsDir}). Non-finite numbers are written as {@code null} (JSON has no NaN), so every
 * column keeps one type for readers such as pandas.
 */
public final class MetricsLog {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FsDir file;

    public MetricsLog(Path runDir) {
        this(FsDir.local(runDir));
    }

    public MetricsLog(FsDir runDir) {
        this.file = runDir.child(FILE);
    }

    /** The file, when the run directory is local (an {@link IllegalStateException} otherwise). */
    public Path file() {
        return file.localPath().orElseThrow(() -> new IllegalStateException(file + " is not a local file"));
    }

    /**
     * Keeps only the rows up to a checkpoint: those of epochs before {@code epochsDone} and, of
     * epoch {@code epochsDone + 1}, the first {@code chunksDone} chunks. A resumed run thus never
     * shows the chunks of an interrupted attempt beside its own. Rewritten atomically (temporary
     * file + rename); returns the rows dropped.
     */
    public int truncateAfter(int epochsDone, int chunksDone) {
        try {
            if (!file.exists()) {
                return 0;
            }
            StringBuilder keep = new StringBuilder();
            int dropped = 0;
            for (String line : file.readString().split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException bad) {
                    dropped++;   // a line cut short by a crash
                    continue;
                }
                int epoch = n.path("epoch").asInt(Integer.MAX_VALUE);
                int chunk = n.path("chunk").asInt(Integer.MAX_VALUE);
                if (epoch <= epochsDone || (epoch == epochsDone + 1 && chunk <= chunksDone)) {
                    keep.append(line).append('\n');
                } else {
                    dropped++;
                }
            }
            if (dropped > 0) {
                file.writeAtomically(keep.toString());
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
        return read(FsDir.local(runDir));
    }

    /** {@link #read(Path)} on any Hadoop file system. */
    public static java.util.List<com.fasterxml.jackson.databind.JsonNode> read(FsDir runDir) {
        java.util.List<com.fasterxml.jackson.databind.JsonNode> out = new java.util.ArrayList<>();
        FsDir f = runDir.child(FILE);
        if (!f.isFile()) {
            return out;
        }
        try {
            for (String line : f.readString().split("\n")) {
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
            file.append(JSON.writeValueAsString(clean) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }
}
