package dev.pretext.data;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a person needs to look at a committed table: its manifest, schema, rows per split and per
 * class, bytes on disk, and a seeded sample of its images (images and views tables) for a contact
 * sheet. Works on any Hadoop file system.
 */
public final class TableInspector {
    private TableInspector() {
    }

    /**
     * @param countsBySplitAndLabel split -> (label -> rows); label -1 = unlabeled; empty when the
     *                              table has no split/label columns
     * @param samples               sampled images (empty for tables without pixels)
     */
    public record Inspection(String dir, Manifest manifest, String schema, long rows, long bytes,
                             Map<String, Map<Integer, Long>> countsBySplitAndLabel,
                             List<ContactSheet.Tile> samples, Map<String, Long> quarantineReasons) {

        /** The same inspection with other sample tiles (tables whose pixels need their own reader, e.g. patches). */
        public Inspection withSamples(List<ContactSheet.Tile> tiles) {
            return new Inspection(dir, manifest, schema, rows, bytes, countsBySplitAndLabel, tiles, quarantineReasons);
        }

        public String toText() {
            StringBuilder sb = new StringBuilder();
            sb.append("table    ").append(dir).append('\n');
            sb.append("stage    ").append(manifest.stage()).append(" (").append(manifest.format())
                    .append("), schema version ").append(manifest.schemaVersion()).append(", written ")
                    .append(manifest.createdAt()).append(", code ").append(manifest.codeVersion()).append('\n');
            sb.append(String.format(Locale.ROOT, "rows     %d (manifest: %d, quarantined %d)%n", rows, manifest.rows(),
                    manifest.quarantined()));
            sb.append(String.format(Locale.ROOT, "bytes    %d (%.1f MiB)%n", bytes, bytes / 1048576.0));
            if (!manifest.extra().isEmpty()) {
                sb.append("settings\n");
                manifest.extra().forEach((k, v) -> sb.append("  ").append(k).append(": ").append(brief(v)).append('\n'));
            }
            if (!quarantineReasons.isEmpty()) {
                sb.append("quarantined inputs by reason\n");
                quarantineReasons.forEach((r, n) -> sb.append(String.format(Locale.ROOT, "  %8d  %s%n", n, r)));
            }
            sb.append("schema\n").append(schema.strip().indent(2));
            for (Map.Entry<String, Map<Integer, Long>> s : countsBySplitAndLabel.entrySet()) {
                long total = s.getValue().values().stream().mapToLong(Long::longValue).sum();
                sb.append(String.format(Locale.ROOT, "split %-10s %8d rows; per class:", s.getKey(), total));
                s.getValue().forEach((label, n) -> sb.append(' ').append(label).append('=').append(n));
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /** A manifest value on one line: long lists show their size and first items. */
    static String brief(Object v) {
        if (v instanceof List<?> l) {
            if (l.size() <= 8 && String.valueOf(l).length() <= 100) {
                return String.valueOf(l);
            }
            return l.size() + " items: " + l.subList(0, Math.min(4, l.size())).toString().replaceAll("]$", ", ...]");
        }
        String t = String.valueOf(v);
        return t.length() <= 160 ? t : t.substring(0, 157) + "...";
    }

    /** Longest side of a contact-sheet tile: large images (image folders) are shown as thumbnails. */
    static final int THUMBNAIL = 96;

    public static Inspection inspect(SparkSession spark, String dir, int samples, long seed) {
        Manifest manifest = Manifest.read(spark.sparkContext().hadoopConfiguration(), dir);
        Dataset<Row> df = spark.read().parquet(dir);
        List<String> cols = Arrays.asList(df.columns());
        long rows = df.count();
        Map<String, Map<Integer, Long>> counts = new LinkedHashMap<>();
        if (cols.contains("split") && cols.contains("label")) {
            for (Row r : df.groupBy("split", "label").count().orderBy("split", "label").collectAsList()) {
                counts.computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>()).put(r.getInt(1), r.getLong(2));
            }
        }
        List<ContactSheet.Tile> tiles = new ArrayList<>();
        if (samples > 0 && rows > 0 && cols.containsAll(List.of("height", "width", "channels", "data"))) {
            double fraction = Math.min(1.0, 4.0 * samples / rows);
            Dataset<Row> sample = df.sample(false, fraction, seed).orderBy(functions.rand(seed)).limit(samples);
            String[] sel = cols.contains("encoding")
                    ? new String[] {"height", "width", "channels", "data", "encoding"}
                    : new String[] {"height", "width", "channels", "data"};
            for (Row r : sample.selectExpr(sel).collectAsList()) {
                String encoding = sel.length == 5 ? r.getString(4) : ImageRecord.RAW;
                ImageRecord img = new ImageRecord("sample", "", -1, -1, r.getInt(0), r.getInt(1), r.getInt(2), encoding,
                        (byte[]) r.get(3), "").toRaw();
                if (img.channels() == 3) {
                    tiles.add(thumbnail(img));
                }
            }
        }
        return new Inspection(dir, manifest, df.schema().treeString(), rows, HadoopPaths.sizeBytes(dir, spark.sparkContext().hadoopConfiguration()), counts, tiles,
                quarantineReasons(spark, dir));
    }

    private static ContactSheet.Tile thumbnail(ImageRecord img) {
        if (Math.max(img.height(), img.width()) <= THUMBNAIL) {
            return new ContactSheet.Tile(img.height(), img.width(), img.data());
        }
        DecodedImage d = ResizePolicy.shorter(THUMBNAIL).apply(new DecodedImage(img.height(), img.width(), img.data()));
        return new ContactSheet.Tile(d.height(), d.width(), d.rgb());
    }

    /** Quarantined inputs counted by the kind of reason (the text before the first ':'), most frequent first. */
    private static Map<String, Long> quarantineReasons(SparkSession spark, String dir) {
        Map<String, Long> out = new LinkedHashMap<>();
        Path q = new Path(QuarantineTable.path(dir));
        try {
            if (!q.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(q)) {
                return out;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + q, e);
        }
        for (Row r : spark.read().schema(QuarantineTable.SCHEMA).parquet(q.toString())
                .selectExpr("substring_index(reason, ':', 1) as kind").groupBy("kind").count()
                .orderBy(functions.desc("count"), functions.asc("kind")).limit(20).collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

}
