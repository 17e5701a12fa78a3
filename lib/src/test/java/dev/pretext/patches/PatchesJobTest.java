package dev.pretext.patches;

import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ContactSheet;
import dev.pretext.data.ImageRecord;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.spark.SparkTestBase;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PatchesJobTest extends SparkTestBase {

    private static List<ImageRecord> images(int n) {
        List<ImageRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(PatchTestImages.random("cifar10/" + (i < 4 ? "train" : "test") + "/" + i, i < 4 ? "train" : "test",
                    i % 3, 32, 32, 3, i));
        }
        return out;
    }

    private static String writeImages(Path tmp, List<ImageRecord> recs) {
        String dir = tmp.resolve("images").toString();
        ImagesTable.write(spark, jsc.parallelize(recs, 2), dir, 2, "ingest", "cifar10", Map.of(), false);
        return dir;
    }

    /** Nothing at {@code out}, and no temporary sibling left behind. */
    private static void assertNothingAt(Path tmp, String out) {
        assertFalse(new File(out).exists(), out + " exists");
        String[] left = tmp.toFile().list((d, name) -> name.startsWith("patches"));
        assertEquals(0, left == null ? 0 : left.length, "left behind: " + Arrays.toString(left));
    }

    @Test
    void dv2TableHoldsEveryViewsGridAsImagePatcherCutsIt(@TempDir Path tmp) {
        List<ImageRecord> recs = images(6);
        String imagesDir = writeImages(tmp, recs);
        String out = tmp.resolve("patches").toString();
        PatchSettings s = PatchSettings.dv2(2, AugmentSpec.cifar()).withViews(2, true).withSeed(7).withShards(2);

        PatchesResult res = PatchesJob.run(spark, imagesDir, out, s, false);
        assertEquals(Map.of("train", 12L, "test", 6L), res.counts());
        assertEquals(6, res.images());
        assertEquals(18, res.rows());
        assertEquals(18 * 16, res.patches());

        Manifest m = PatchesTable.manifest(spark, out);
        assertEquals("patches", m.stage());
        assertEquals("cifar10", m.format());
        assertEquals(6, m.recordsSeen());
        assertEquals(18, m.rows());
        assertTrue(m.inputs().get(0).name().endsWith("images"), m.inputs().toString());
        assertEquals(List.of(8), m.extra().get("patch_sizes"));
        assertEquals(4, m.extra().get("grid"));
        assertTrue(m.extra().get("augment") instanceof Map<?, ?>);
        List<?> neighbours = (List<?>) m.extra().get("neighbours");
        int[][] table = ContextNeighbourhood.table(4);
        for (int p = 0; p < 16; p++) {
            assertEquals(Arrays.stream(table[p]).boxed().toList(), neighbours.get(p), "neighbours of " + p);
        }
        assertTrue(PatchesTable.permutations(m).isEmpty());

        Map<String, PatchRecord> byKey = new HashMap<>();
        ImagePatcher patcher = new ImagePatcher(s);
        for (ImageRecord img : recs) {
            for (PatchRecord r : patcher.patch(img)) {
                byKey.put(r.id() + "@" + r.view(), r);
            }
        }
        List<PatchRecord> read = PatchesTable.readRecords(spark, out, null).collect();
        assertEquals(18, read.size());
        for (PatchRecord r : read) {
            PatchRecord want = byKey.remove(r.id() + "@" + r.view());
            assertTrue(want != null, "unexpected or duplicate row " + r.id() + " view " + r.view());
            assertEquals(want.split(), r.split());
            assertEquals(want.label(), r.label());
            assertEquals(want.viewSeed(), r.viewSeed());
            assertEquals(want.jitterSeed(), r.jitterSeed());
            assertEquals(8, r.size());
            assertArrayEquals(want.y0(), r.y0());
            assertArrayEquals(want.x0(), r.x0());
            for (int p = 0; p < 16; p++) {
                assertArrayEquals(want.patches().get(p), r.patches().get(p), r.id() + " view " + r.view() + " patch " + p);
            }
            if (r.view() == -1) {
                ImageRecord src = recs.stream().filter(i -> i.id().equals(r.id())).findFirst().orElseThrow();
                assertArrayEquals(src.data(), r.reassemble(), "the original reassembles to the image");
            }
        }
        assertTrue(byKey.isEmpty(), "missing rows " + byKey.keySet());
        assertEquals(6, PatchesTable.read(spark, out, "test").count());

        // the one-row-per-patch view agrees with the grid rows
        List<Row> perPatch = PatchesTable.perPatch(PatchesTable.read(spark, out, "test")
                .where("view = 1")).collectAsList();
        assertEquals(2 * 16, perPatch.size());
        for (Row row : perPatch) {
            PatchRecord grid = read.stream().filter(r -> r.id().equals(row.getAs("id")) && r.view() == 1)
                    .findFirst().orElseThrow();
            int pos = row.getAs("position");
            assertEquals(pos / 4, (int) row.getAs("row"));
            assertEquals(pos % 4, (int) row.getAs("col"));
            assertEquals(grid.y0()[pos], (int) row.getAs("y0"));
            assertEquals(grid.x0()[pos], (int) row.getAs("x0"));
            assertArrayEquals(grid.patches().get(pos), (byte[]) row.getAs("data"));
        }

        UserError exists = assertThrows(UserError.class, () -> PatchesJob.run(spark, imagesDir, out, s, false));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        UserError notPatches = assertThrows(UserError.class, () -> PatchesTable.read(spark, imagesDir));
        assertTrue(notPatches.getMessage().contains("'ingest'"), notPatches.getMessage());
    }

    @Test
    void jigsawTableCarriesItsPermutations(@TempDir Path tmp) {
        String imagesDir = writeImages(tmp, images(3));
        String out = tmp.resolve("patches").toString();
        PatchSettings s = PatchSettings.jigsaw(2, 1, 64).withSeed(5);
        PatchesResult res = PatchesJob.run(spark, imagesDir, out, s, false);
        assertEquals(3, res.rows());
        assertEquals(27, res.patches());

        Manifest m = PatchesTable.manifest(spark, out);
        JigsawPermutations stored = PatchesTable.permutations(m).orElseThrow();
        assertArrayEquals(JigsawPermutations.generate(64, 5).toArray(), stored.toArray());
        assertEquals(stored.minDistance(), m.extra().get("jigsaw_min_distance"));
        assertEquals(List.of(8), m.extra().get("patch_sizes")); // cell 10, gap 2

        List<PatchRecord> sample = PatchesTable.sample(spark, out, 2, 1);
        assertEquals(2, sample.size());
        for (PatchRecord r : sample) {
            for (int p = 0; p < 9; p++) {
                int oy = r.y0()[p] - (1 + 10 * (p / 3)), ox = r.x0()[p] - (1 + 10 * (p % 3));
                assertTrue(oy >= 0 && oy <= 2 && ox >= 0 && ox <= 2, "jittered patch " + p + " inside its cell");
            }
        }
        List<ContactSheet.Tile> tiles = sample.stream().map(r -> r.explodedTile(1)).toList();
        assertEquals(3 * 8 + 2, ContactSheet.render(tiles, 2, 1).getHeight() - 2);
    }

    @Test
    void badInputFailsAndLeavesNothing(@TempDir Path tmp) {
        String out = tmp.resolve("patches").toString();
        UserError missing = assertThrows(UserError.class, () -> PatchesJob.run(spark, tmp.resolve("nope").toString(),
                out, PatchSettings.defaults(), false));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
        assertNothingAt(tmp, out);

        // one table for the rest: a small image (fine for 4x4 without gap) and one with the wrong byte count
        List<ImageRecord> recs = new ArrayList<>(images(3));
        recs.add(PatchTestImages.random("cifar10/train/tiny", "train", 0, 6, 40, 3, 9));
        recs.add(new ImageRecord("cifar10/train/broken", "train", 0, -1, 32, 32, 3, ImageRecord.RAW, new byte[10], "b"));
        String imagesDir = writeImages(tmp, recs);
        UserError small = assertThrows(UserError.class,
                () -> PatchesJob.run(spark, imagesDir, out, PatchSettings.defaults().withGrid(4, 1, 0), false));
        assertTrue(small.getMessage().contains("cifar10/train/tiny") && small.getMessage().contains("at least 8"),
                small.getMessage());
        assertNothingAt(tmp, out);

        // views of a fixed output size too small for the grid
        PatchSettings tinyViews = PatchSettings.dv2(1, AugmentSpec.cifar().withOutputSize(3, 3));
        UserError view = assertThrows(UserError.class, () -> PatchesJob.run(spark, imagesDir, out, tinyViews, false));
        assertTrue(view.getMessage().contains("3x3"), view.getMessage());
        assertNothingAt(tmp, out);

        // a failure inside the Spark job, after the commit began, is unwrapped and leaves nothing
        UserError bytes = assertThrows(UserError.class,
                () -> PatchesJob.run(spark, imagesDir, out, PatchSettings.defaults(), false));
        assertTrue(bytes.getMessage().contains("cifar10/train/broken") && bytes.getMessage().contains("3072"),
                bytes.getMessage());
        assertNothingAt(tmp, out);
    }
}
