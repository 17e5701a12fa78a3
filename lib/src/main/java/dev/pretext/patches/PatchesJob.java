package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.data.HadoopPaths;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImageRows;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.data.SparkErrors;
import dev.pretext.data.TableCommit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.apache.spark.sql.functions.col;

/**
 * The {@code patches} stage: reads an images table, cuts every image (and its D augmented views)
 * into a patch grid on the executors ({@link ImagePatcher}), and commits a patches table
 * ({@link PatchRows}) atomically with a manifest. The manifest's extra holds the settings, the
 * patch sizes, the neighbour table and order, and with {@code permutations > 0} the jigsaw
 * permutation set. A failure, or bad input, leaves nothing at the output path.
 */
public final class PatchesJob {
    /** Manifest extra key of the jigsaw permutation set (a list of lists of 9 ints). */
    public static final String EXTRA_PERMUTATIONS = "jigsaw_permutations";

    private PatchesJob() {
    }

    /**
     * The patch rows of every image of {@code images} (an images table), lazily: nothing runs until
     * the result is written or collected. For trainers that cut patches on the fly.
     */
    public static Dataset<Row> patches(Dataset<Row> images, PatchSettings settings) {
        return images.flatMap(new Cut(new ImagePatcher(settings)), Encoders.row(PatchRows.SCHEMA));
    }

    /**
     * @param imagesDir a committed images table
     * @param outDir    the table to create; must not exist unless {@code overwrite}
     */
    public static PatchesResult run(SparkSession spark, String imagesDir, String outDir, PatchSettings settings,
                                    boolean overwrite) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            // all checks on the driver first, so that bad input fails before any output exists
            Manifest imagesManifest = ImagesTable.manifest(spark, imagesDir);
            Dataset<Row> images = ImagesTable.read(spark, imagesDir);
            checkSizes(images, settings);
            JigsawPermutations jigsaw = settings.permutations() > 0
                    ? JigsawPermutations.generate(settings.permutations(), settings.seed()) : null;

            try (TableCommit commit = TableCommit.begin(conf, outDir, overwrite)) {
                patches(images, settings).repartition(settings.shards()).write().mode(SaveMode.ErrorIfExists)
                        .parquet(commit.tempDir());

                Map<String, Long> counts = new LinkedHashMap<>();
                imagesManifest.counts().keySet().forEach(split -> counts.put(split, 0L));
                TreeSet<Integer> sizes = new TreeSet<>();
                // one pass over two small columns gives both the rows per split and the patch sizes
                for (Row r : spark.read().schema(PatchRows.SCHEMA).parquet(commit.tempDir())
                        .groupBy("split", "size").count().collectAsList()) {
                    counts.merge(r.getString(0), r.getLong(2), Long::sum);
                    sizes.add(r.getInt(1));
                }
                long rows = counts.values().stream().mapToLong(Long::longValue).sum();
                long imageCount = images.count();
                if (rows != imageCount * settings.rowsPerImage()) {
                    // two independent counts: the images read and the rows written
                    throw new IllegalStateException("patches of " + imagesDir + " do not reconcile: " + imageCount
                            + " images x " + settings.rowsPerImage() + " rows each != " + rows + " rows written");
                }

                Map<String, Object> extra = extra(settings, List.copyOf(sizes), jigsaw);
                extra.put(PatchesTable.EXTRA_IMAGES_FINGERPRINT, ImagesTable.fingerprint(spark, imagesDir));
                Manifest manifest = Manifest.create(PatchRows.SCHEMA_VERSION, PatchesTable.STAGE,
                        imagesManifest.format(), List.of(new Manifest.Input(HadoopPaths.qualify(imagesDir, conf),
                                HadoopPaths.sizeBytes(imagesDir, conf))), counts, imageCount, 0, extra);
                commit.commit(manifest);
                return new PatchesResult(commit.outDir(), counts, imageCount, rows, settings.rowsPerImage(),
                        rows * settings.grid() * settings.grid(), manifest);
            }
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        }
    }

    /**
     * Fails naming an image too small for the grid. Only the size columns are read (Parquet column
     * pruning), so this costs little next to the job; the executors check each image again.
     */
    private static void checkSizes(Dataset<Row> images, PatchSettings settings) {
        PatchGrid grid = settings.patchGrid();
        int outH = settings.views() > 0 ? settings.augment().outputHeight() : 0;
        int outW = settings.views() > 0 ? settings.augment().outputWidth() : 0;
        if (outH > 0 && Math.min(outH, outW) < grid.minSide()) {
            throw new UserError("augment.output-width x augment.output-height = " + outW + "x" + outH + " is too small "
                    + "for the views' " + grid.grid() + "x" + grid.grid() + " patch grid with gap " + grid.gap()
                    + ", which needs at least " + grid.minSide() + " pixels on the shorter side");
        }
        boolean viewsKeepSize = settings.views() > 0 && settings.augment().outputHeight() == 0;
        if (settings.includeOriginal() || viewsKeepSize) {
            List<Row> small = images.where(functions.least(col("height"), col("width")).lt(grid.minSide()))
                    .select("id", "height", "width").limit(1).collectAsList();
            if (!small.isEmpty()) {
                Row r = small.get(0);
                throw new UserError("image " + r.getString(0) + " is " + r.getInt(2) + "x" + r.getInt(1)
                        + " pixels: too small for a " + grid.grid() + "x" + grid.grid() + " patch grid with gap "
                        + grid.gap() + ", which needs at least " + grid.minSide() + " pixels on the shorter side "
                        + "(use a smaller patches.grid or patches.gap)");
            }
        }
    }

    private static Map<String, Object> extra(PatchSettings settings, List<Integer> sizes, JigsawPermutations jigsaw) {
        Map<String, Object> extra = new LinkedHashMap<>(settings.toMap());
        extra.put("rows_per_image", settings.rowsPerImage());
        extra.put("patch_sizes", sizes);
        extra.put("position_order", "row-major: position = row * grid + col");
        extra.put("view_seed", "ViewSeeds.seed(seed, id, 0, view) for view >= 0; view -1 is the image itself");
        extra.put("jitter_seed", "ViewSeeds.seed(seed + 0x6A69747465720000, id, 0, view + 1)");
        extra.put("neighbour_order", ContextNeighbourhood.ORDER);
        extra.put("neighbours", Arrays.stream(ContextNeighbourhood.table(settings.grid()))
                .map(n -> Arrays.stream(n).boxed().toList()).toList());
        if (jigsaw != null) {
            extra.put("jigsaw_order", "slot i of the shuffled puzzle shows the tile from position p[i]; "
                    + "class = index in the list");
            extra.put("jigsaw_min_distance", jigsaw.minDistance());
            extra.put("jigsaw_mean_distance", jigsaw.meanDistance());
            extra.put(EXTRA_PERMUTATIONS, jigsaw.toLists());
        }
        return extra;
    }

    /** The executor side: one images-table row to its rowsPerImage patch rows. */
    private static final class Cut implements FlatMapFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final ImagePatcher patcher;

        Cut(ImagePatcher patcher) {
            this.patcher = patcher;
        }

        @Override
        public Iterator<Row> call(Row row) {
            ImageRecord image = ImageRows.fromRow(row);
            List<Row> out = new ArrayList<>(patcher.settings().rowsPerImage());
            for (PatchRecord r : patcher.patch(image)) {
                out.add(PatchRows.toRow(r));
            }
            return out.iterator();
        }
    }
}
