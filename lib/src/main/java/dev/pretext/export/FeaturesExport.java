package dev.pretext.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.data.Manifest;
import dev.pretext.eval.FeatureTable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;

/**
 * {@code export}: a features table as files Python reads without pyarrow. Per split, in id order:
 * {@code <split>.npy} (rows x dim, little-endian float32, C order; {@link Npy}) with
 * {@code <split>_labels.csv} ({@code row,id,label}), or {@code <split>.csv}
 * ({@code id,label,f0,...}); and {@code export.json} (source table, layer, dimension, rows per
 * split, files). The rows stream through the driver one at a time, so the limit is disk, which a
 * size guard bounds: an export larger than {@code maxBytes} is refused before anything is written.
 * The files are written to a temporary sibling directory of the output, renamed into place when
 * all are complete.
 */
public final class FeaturesExport {
    public static final String META_FILE = "export.json";
    /** Default size guard: {@code --max-mb}. */
    public static final long DEFAULT_MAX_MB = 2048;
    /** Characters per value in CSV, for the size estimate: a float32's shortest text and a comma. */
    static final int CSV_CHARS_PER_VALUE = 12;

    public enum Format {
        NPY, CSV;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code npy} or {@code csv}; anything else is a UserError naming the valid ones. */
        public static Format parse(String s) {
            for (Format f : values()) {
                if (f.key().equals(s)) {
                    return f;
                }
            }
            throw new UserError("export: unknown --format '" + s + "'; valid: npy (NumPy .npy float32 + a labels"
                    + " CSV per split), csv (one CSV per split: id, label, then the values)");
        }
    }

    /** What was written: the output directory, the layer, the vector length, rows per split, bytes. */
    public record Result(Path out, String layer, int dim, Map<String, Long> rows, long bytes) {
    }

    private FeaturesExport() {
    }

    /**
     * Refuses, before any work, a {@code table} that is not a committed features table (naming the
     * tables inside it when it is a folder of them, as {@code features --out} leaves them).
     */
    public static void checkTable(String table, Configuration conf) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(table);
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                throw new UserError("export: --features " + table + " does not exist; give a features table,"
                        + " e.g. runs/<id>/features/pretrained");
            }
            if (fs.exists(new org.apache.hadoop.fs.Path(p, Manifest.FILE_NAME))) {
                Manifest m = Manifest.read(conf, table);
                if (!"features".equals(m.stage())) {
                    throw new UserError("export: --features " + table + " is a " + m.stage() + " table, not a features"
                            + " table; give one that features or pipeline wrote, e.g. runs/<id>/features/pretrained");
                }
                return;
            }
            List<String> inside = new ArrayList<>();
            if (fs.getFileStatus(p).isDirectory()) {
                for (FileStatus st : fs.listStatus(p)) {
                    if (st.isDirectory() && fs.exists(new org.apache.hadoop.fs.Path(st.getPath(), Manifest.FILE_NAME))) {
                        inside.add(st.getPath().getName());
                    }
                }
            }
            inside.sort(null);
            throw new UserError("export: --features " + table + " is not a committed features table (no "
                    + Manifest.FILE_NAME + ")" + (inside.isEmpty() ? "; give one such as runs/<id>/features/pretrained"
                    : "; it holds the tables " + String.join(", ", inside) + ": give one of them, e.g. --features "
                    + new org.apache.hadoop.fs.Path(p, inside.get(0))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + table, e);
        }
    }

    /** Refuses an {@code out} that is a file, or a non-empty directory without {@code overwrite}. */
    public static void checkOut(Path out, boolean overwrite) {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new UserError("export: --out " + out + " is a file; give a directory");
        }
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent() && !overwrite) {
                throw new UserError("export: --out " + out + " exists and is not empty; give a new directory or"
                        + " --overwrite");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + out, e);
        }
    }

    /** Bytes the export of {@code rows} vectors of {@code dim} values will take, about. */
    public static long estimateBytes(Format format, long rows, int dim) {
        long perRowIds = 48;   // id, label and row number in text
        return format == Format.NPY ? rows * (4L * dim + perRowIds)
                : rows * ((long) CSV_CHARS_PER_VALUE * dim + perRowIds);
    }

    /**
     * Exports {@code table} ({@link #checkTable} first) to the local directory {@code out}.
     *
     * @param layer    the layer to export; null for the table's only one
     * @param maxBytes the size guard
     */
    public static Result run(SparkSession spark, String table, String layer, Format format, Path out, long maxBytes,
                             boolean overwrite) throws IOException {
        checkOut(out, overwrite);
        Dataset<Row> features = FeatureTable.read(spark, table, FeatureTable.DEFAULT_READ_BATCH_BYTES);
        List<String> layers = features.select(FeatureTable.LAYER).distinct().collectAsList().stream()
                .map(r -> r.getString(0)).sorted().toList();
        if (layers.isEmpty()) {
            throw new UserError("export: features table " + table + " has no rows");
        }
        if (layer == null && layers.size() > 1) {
            throw new UserError("export: features table " + table + " holds the layers " + String.join(", ", layers)
                    + "; choose one with --layer");
        }
        if (layer != null && !layers.contains(layer)) {
            throw new UserError("export: features table " + table + " has no layer '" + layer + "'; layers: "
                    + String.join(", ", layers));
        }
        String chosen = layer == null ? layers.get(0) : layer;
        Dataset<Row> ofLayer = features.where(col(FeatureTable.LAYER).equalTo(chosen));
        int dim = ((Vector) ofLayer.select(FeatureTable.VECTOR).first().get(0)).size();
        Map<String, Long> rows = new LinkedHashMap<>();
        for (Row r : ofLayer.groupBy(FeatureTable.SPLIT).count().collectAsList()) {
            rows.put(r.getString(0), r.getLong(1));
        }
        List<String> splits = new ArrayList<>(rows.keySet());
        splits.sort((a, b) -> a.equals(b) ? 0 : a.equals("train") ? -1 : b.equals("train") ? 1 : a.compareTo(b));
        long total = rows.values().stream().mapToLong(Long::longValue).sum();
        long estimate = estimateBytes(format, total, dim);
        if (estimate > maxBytes) {
            throw new UserError(String.format(Locale.ROOT, "export: %s would write about %d MB (%d rows x %d values"
                            + " as %s), above the limit of %d MB; raise it with --max-mb %d (or export fewer rows)",
                    table, mb(estimate), total, dim, format.key(), mb(maxBytes), mb(estimate) + 1));
        }

        Path abs = out.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        try {
            Map<String, Object> files = new LinkedHashMap<>();
            for (String split : splits) {
                Iterator<Row> it = ofLayer.where(col(FeatureTable.SPLIT).equalTo(split))
                        .select(FeatureTable.ID, FeatureTable.LABEL, FeatureTable.VECTOR)
                        .orderBy(FeatureTable.ID).toLocalIterator();
                long n = rows.get(split);
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("rows", n);
                if (format == Format.NPY) {
                    writeNpy(it, tmp.resolve(split + ".npy"), tmp.resolve(split + "_labels.csv"), n, dim);
                    f.put("values", split + ".npy");
                    f.put("labels", split + "_labels.csv");
                } else {
                    writeCsv(it, tmp.resolve(split + ".csv"), n, dim);
                    f.put("values", split + ".csv");
                }
                files.put(split, f);
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("source", table);
            meta.put("layer", chosen);
            meta.put("format", format.key());
            meta.put("dtype", "float32");
            meta.put("dim", dim);
            meta.put("order", "by id within each split");
            meta.put("splits", files);
            meta.put("code_version", Manifest.currentCodeVersion());
            Files.writeString(tmp.resolve(META_FILE),
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(meta));
            long bytes;
            try (Stream<Path> s = Files.list(tmp)) {
                bytes = s.mapToLong(p -> p.toFile().length()).sum();
            }
            replace(tmp, abs);
            return new Result(abs, chosen, dim, rows, bytes);
        } catch (IOException | RuntimeException | Error e) {
            deleteRecursively(tmp);
            throw e;
        }
    }

    private static void writeNpy(Iterator<Row> it, Path npy, Path labels, long n, int dim) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(npy), 1 << 20);
             Npy.Writer w = new Npy.Writer(os, n, dim);
             Writer csv = Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
            csv.write("row,id,label\n");
            long i = 0;
            while (it.hasNext()) {
                Row r = it.next();
                w.row(vector(r, dim));
                csv.write(i++ + "," + csvField(r.getString(0)) + "," + r.getInt(1) + "\n");
            }
        }
    }

    private static void writeCsv(Iterator<Row> it, Path file, long n, int dim) throws IOException {
        try (BufferedWriter csv = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder sb = new StringBuilder("id,label");
            for (int k = 0; k < dim; k++) {
                sb.append(",f").append(k);
            }
            csv.write(sb.append('\n').toString());
            long written = 0;
            while (it.hasNext()) {
                Row r = it.next();
                sb.setLength(0);
                sb.append(csvField(r.getString(0))).append(',').append(r.getInt(1));
                for (double v : vector(r, dim)) {
                    sb.append(',').append((float) v);
                }
                csv.write(sb.append('\n').toString());
                written++;
            }
            if (written != n) {
                throw new IllegalStateException(file + ": wrote " + written + " rows, counted " + n
                        + " (did the table change during the export?)");
            }
        }
    }

    private static double[] vector(Row r, int dim) {
        double[] v = ((Vector) r.get(2)).toArray();
        if (v.length != dim) {
            throw new UserError("export: row '" + r.getString(0) + "' has a vector of " + v.length + " values, the"
                    + " table's first has " + dim);
        }
        return v;
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Moves {@code tmp} to {@code out}; an existing {@code out} (--overwrite) is removed only after. */
    private static void replace(Path tmp, Path out) throws IOException {
        if (!Files.exists(out)) {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Path old = out.resolveSibling("." + out.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(old);
    }

    private static long mb(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: the original failure is what the user needs to see
        }
    }
}
