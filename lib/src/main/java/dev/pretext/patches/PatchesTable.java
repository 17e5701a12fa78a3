package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.data.Manifest;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.apache.spark.sql.functions.col;

/**
 * Reads the patches table ({@link PatchRows#SCHEMA} plus a {@link Manifest} of stage
 * {@code patches}). Reads refuse a directory without a manifest, a table of another stage and a
 * schema version this code does not know.
 */
public final class PatchesTable {
    public static final String STAGE = "patches";
    /** {@link dev.pretext.data.ImagesTable#fingerprint} of the images the table was cut from. */
    public static final String EXTRA_IMAGES_FINGERPRINT = "images_fingerprint";

    private PatchesTable() {
    }

    /** All rows of a committed patches table. */
    public static Dataset<Row> read(SparkSession spark, String dir) {
        return read(spark, dir, null);
    }

    /** Rows of one split, or all when split is null. */
    public static Dataset<Row> read(SparkSession spark, String dir, String split) {
        Manifest m = manifest(spark, dir);
        Dataset<Row> df = spark.read().schema(PatchRows.SCHEMA).parquet(dir);
        if (split != null) {
            if (!m.counts().containsKey(split)) {
                throw new UserError("table " + dir + " has no split '" + split + "'; it has " + m.counts().keySet());
            }
            df = df.where(col("split").equalTo(split));
        }
        return df;
    }

    /** The records of a committed patches table, optionally of one split (null for all). */
    public static JavaRDD<PatchRecord> readRecords(SparkSession spark, String dir, String split) {
        return read(spark, dir, split).toJavaRDD().map(PatchRows::fromRow);
    }

    /** The manifest of a committed patches table; fails for other tables and unknown schema versions. */
    public static Manifest manifest(SparkSession spark, String dir) {
        Manifest m = Manifest.read(spark.sparkContext().hadoopConfiguration(), dir);
        if (!STAGE.equals(m.stage())) {
            throw new UserError("table " + dir + " was written by stage '" + m.stage() + "', not '" + STAGE
                    + "': give the path of a patches table (pretext patches ...)");
        }
        if (m.schemaVersion() != PatchRows.SCHEMA_VERSION) {
            throw new UserError("table " + dir + " has patches schema version " + m.schemaVersion() + "; this code reads "
                    + "version " + PatchRows.SCHEMA_VERSION + " (re-run the patches stage with this version)");
        }
        return m;
    }

    /** The jigsaw permutation set stored with the table, if it was written with patches.permutations > 0. */
    public static Optional<JigsawPermutations> permutations(Manifest m) {
        Object v = m.extra().get(PatchesJob.EXTRA_PERMUTATIONS);
        return v == null ? Optional.empty() : Optional.of(JigsawPermutations.fromLists(v));
    }

    /** A seeded sample of up to {@code n} records (e.g. for a contact sheet of {@link PatchRecord#explodedTile}). */
    public static List<PatchRecord> sample(SparkSession spark, String dir, int n, long seed) {
        if (n < 1) {
            return List.of();
        }
        long rows = Math.max(1, manifest(spark, dir).rows());
        // sample first: ordering the whole table by rand() would sort every pixel
        double fraction = Math.min(1.0, 4.0 * n / rows);
        return read(spark, dir).sample(false, fraction, seed).orderBy(functions.rand(seed)).limit(n).collectAsList()
                .stream().map(PatchRows::fromRow).toList();
    }

    /**
     * One row per (image, view, position), for consumers that want single patches: id, split,
     * label, view, grid, position, row, col, y0, x0, size, channels, data (the patch's uint8 HWC
     * bytes). Lazy; Spark expands each grid row in place, no shuffle.
     */
    public static Dataset<Row> perPatch(Dataset<Row> patches) {
        Column zipped = functions.arrays_zip(col("y0"), col("x0"), col("patches"));
        Dataset<Row> exploded = patches.select(col("id"), col("split"), col("label"), col("view"), col("grid"),
                col("size"), col("channels"), functions.posexplode(zipped).as(new String[]{"position", "p"}));
        return exploded.select(col("id"), col("split"), col("label"), col("view"), col("grid"), col("position"),
                functions.floor(col("position").divide(col("grid"))).cast("int").as("row"),
                functions.pmod(col("position"), col("grid")).as("col"),
                col("p.y0").as("y0"), col("p.x0").as("x0"), col("size"), col("channels"),
                col("p.patches").as("data"));
    }

    /**
     * Why this table cannot give {@code settings}' patches of these images (fingerprint of the
     * images table, its counts per split); empty when it can. Seeds and shards may differ (a table's
     * jitter is fixed; training with it sees the same patches every epoch).
     */
    public static List<String> mismatches(Manifest m, PatchSettings settings, String imagesFingerprint,
                                          Map<String, Long> imageCounts, List<String> splits) {
        List<String> out = new java.util.ArrayList<>();
        Object made = m.extra().get(EXTRA_IMAGES_FINGERPRINT);
        if (made == null) {
            out.add("it does not record which images it was cut from (written by an older patches stage)");
        } else if (!made.toString().equals(imagesFingerprint)) {
            out.add("it was cut from other images (fingerprint " + made + ", these images " + imagesFingerprint + ")");
        }
        Map<String, Object> want = settings.toMap();
        for (String k : List.of("grid", "gap", "jitter", "views", "include_original", "augment")) {
            Object a = want.get(k);
            Object b = m.extra().get(k);
            if (!String.valueOf(a).equals(String.valueOf(b))) {
                out.add(k + " is " + b + ", the method needs " + a);
            }
        }
        for (String split : splits) {
            long rows = m.counts().getOrDefault(split, 0L);
            long expected = imageCounts.getOrDefault(split, 0L) * settings.rowsPerImage();
            if (rows != expected) {
                out.add("split '" + split + "' has " + rows + " rows for " + expected + " (images x rows per image)");
            }
        }
        return out;
    }
}
