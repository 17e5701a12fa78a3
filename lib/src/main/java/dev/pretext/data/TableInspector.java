package dev.pretext.data;

import org.apache.hadoop.fs.FileSystem;
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
                             List<ContactSheet.Tile> samples) {

        public String toText() {
            StringBuilder sb = new StringBuilder();
            sb.append("table    ").append(dir).append('\n');
            sb.append("stage    ").append(manifest.stage()).append(" (").append(manifest.format())
                    .append("), schema version ").append(manifest.schemaVersion()).append(", written ")
                    .append(manifest.createdAt()).append(", code ").append(manifest.codeVersion()).append('\n');
            sb.append(String.format(Locale.ROOT, "rows     %d (manifest: %d, quarantined %d)%n", rows, manifest.rows(),
                    manifest.quarantined()));
            sb.append(String.format(Locale.ROOT, "bytes    %d (%.1f MiB)%n", bytes, bytes / 1048576.0));
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
            Dataset<Row> pixels = cols.contains("encoding")
                    ? df.where(functions.col("encoding").equalTo(ImageRecord.RAW)) : df;
            double fraction = Math.min(1.0, 4.0 * samples / rows);
            for (Row r : pixels.sample(false, fraction, seed).orderBy(functions.rand(seed)).limit(samples)
                    .select("height", "width", "channels", "data").collectAsList()) {
                if (r.getInt(2) == 3) {
                    tiles.add(new ContactSheet.Tile(r.getInt(0), r.getInt(1), (byte[]) r.get(3)));
                }
            }
        }
        return new Inspection(dir, manifest, df.schema().treeString(), rows, bytes(spark, dir), counts, tiles);
    }

    private static long bytes(SparkSession spark, String dir) {
        try {
            Path p = new Path(dir);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.getContentSummary(p).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + dir, e);
        }
    }

}
