package dev.pretext.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import dev.pretext.UserError;

/**
 * The {@code _manifest.json} of a committed table: what stage wrote it from which inputs, how many
 * rows per split, and how many records were quarantined. It is written last, so a table directory
 * without one is not a committed table.
 *
 * @param schemaVersion version of the table's schema ({@link ImageRows#SCHEMA_VERSION} for images)
 * @param stage         the stage that wrote the table, e.g. {@code ingest}
 * @param format        the data format, e.g. {@code cifar10}
 * @param createdAt     ISO-8601 UTC instant of the commit
 * @param codeVersion   version of the code that wrote it
 * @param inputs        input files (or tables) with their sizes in bytes
 * @param counts        rows per split
 * @param rows          rows written (the sum of counts)
 * @param recordsSeen   records read: rows + quarantined
 * @param quarantined   records left out as bad (listed in {@code _quarantine})
 * @param extra         stage-specific metadata (class names, fold indices, settings)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int schemaVersion, String stage, String format, String createdAt, String codeVersion,
                       List<Input> inputs, Map<String, Long> counts, long rows, long recordsSeen, long quarantined,
                       Map<String, Object> extra) {

    public static final String FILE_NAME = "_manifest.json";
    // arrays on one line: fold indices would otherwise take one line per index
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final com.fasterxml.jackson.databind.ObjectWriter PRETTY = JSON.writer(
            new com.fasterxml.jackson.core.util.DefaultPrettyPrinter()
                    .withArrayIndenter(com.fasterxml.jackson.core.util.DefaultPrettyPrinter.FixedSpaceIndenter.instance));

    /** One input of a stage: a file name (relative to the input folder) or a table path, with its size. */
    public record Input(String name, long sizeBytes) {
    }

    /** A manifest stamped now with this code's version; rows is the sum of counts. */
    public static Manifest create(int schemaVersion, String stage, String format, List<Input> inputs,
                                  Map<String, Long> counts, long recordsSeen, long quarantined, Map<String, Object> extra) {
        long rows = counts.values().stream().mapToLong(Long::longValue).sum();
        return new Manifest(schemaVersion, stage, format, Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(),
                currentCodeVersion(), List.copyOf(inputs), new LinkedHashMap<>(counts), rows, recordsSeen, quarantined,
                new LinkedHashMap<>(extra));
    }

    /** The jar's Implementation-Version when packaged, else {@code dev}. */
    public static String currentCodeVersion() {
        String v = Manifest.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public String toJson() {
        try {
            return PRETTY.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Manifest fromJson(String json) {
        try {
            return JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code dir/_manifest.json} (any Hadoop file system). */
    public void write(Configuration conf, String dir) {
        Path p = new Path(dir, FILE_NAME);
        try {
            FileSystem fs = p.getFileSystem(conf);
            // no .crc sidecar for a file people read and may edit by hand
            if (fs instanceof org.apache.hadoop.fs.ChecksumFileSystem c) {
                fs = c.getRawFileSystem();
            }
            writeTo(fs, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
    }

    private void writeTo(FileSystem fs, Path p) {
        try (OutputStream out = fs.create(p, true)) {
            out.write(toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
    }

    /** Reads {@code dir/_manifest.json}; a missing one means {@code dir} is not a committed table. */
    public static Manifest read(Configuration conf, String dir) {
        Path p = new Path(dir, FILE_NAME);
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                throw new UserError("table " + dir + " has no " + FILE_NAME + ": it is not a committed Pretext table "
                        + "(wrong path, or a write that did not finish)");
            }
            try (InputStream in = fs.open(p)) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return fromJson(buf.toString(java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
