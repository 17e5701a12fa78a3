package dev.pretext.patches;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The patches table schema (version {@link #SCHEMA_VERSION}) and conversion between its rows and
 * {@link PatchRecord}.
 *
 * <p><b>One row per (image, view), holding the whole grid</b>, not one row per patch. Every
 * consumer needs the grid of one view together: DV2 encodes all 16 patches of an image and masks
 * 4 of them, the context autoencoder needs a patch with its 8 neighbours, jigsaw shuffles all 9,
 * relative position pairs the centre with a neighbour. With a row per patch each epoch would have
 * to regroup the table by (id, view), a shuffle of every pixel, or trust that Parquet keeps
 * neighbours in order, which nothing guarantees. A row per grid is self-contained, 1/G^2 as many
 * rows, and the neighbourhood is plain indexing ({@link PatchRecord#context}).
 * {@link PatchesTable#perPatch} gives the one-row-per-patch view for whoever wants it.
 *
 * <pre>
 *   id           string         image id, as in the images table
 *   split        string
 *   label        int            -1 when unlabeled
 *   view         int            -1 = the image itself; v >= 0 = its v-th augmented view
 *   view_seed    long, null     augmentation seed of view v; null for view -1
 *   jitter_seed  long           seed of the patch jitter (unused when jitter is 0)
 *   height       int            size of the image/view the grid was cut from
 *   width        int
 *   channels     int
 *   grid         int            G; position p = row * G + col, row = p / G, col = p % G
 *   gap          int
 *   size         int            side of every patch
 *   y0           array&lt;int&gt;     top row of each patch in that image, by position
 *   x0           array&lt;int&gt;     left column of each patch, by position
 *   patches      array&lt;binary&gt;  each patch as uint8 HWC (size*size*channels bytes), by position
 * </pre>
 * The manifest's extra holds the neighbour table ({@code neighbours}: [G*G][8] positions, -1
 * outside, order {@link ContextNeighbourhood#ORDER}) and, for jigsaw, the permutation set.
 */
public final class PatchRows {
    public static final int SCHEMA_VERSION = 1;

    public static final StructType SCHEMA = DataTypes.createStructType(new StructField[]{
        field("id", DataTypes.StringType, false),
        field("split", DataTypes.StringType, false),
        field("label", DataTypes.IntegerType, false),
        field("view", DataTypes.IntegerType, false),
        field("view_seed", DataTypes.LongType, true),
        field("jitter_seed", DataTypes.LongType, false),
        field("height", DataTypes.IntegerType, false),
        field("width", DataTypes.IntegerType, false),
        field("channels", DataTypes.IntegerType, false),
        field("grid", DataTypes.IntegerType, false),
        field("gap", DataTypes.IntegerType, false),
        field("size", DataTypes.IntegerType, false),
        field("y0", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        field("x0", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        field("patches", DataTypes.createArrayType(DataTypes.BinaryType, false), false),
    });

    private PatchRows() {
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    /** A row in {@link #SCHEMA} column order. */
    public static Row toRow(PatchRecord r) {
        return RowFactory.create(r.id(), r.split(), r.label(), r.view(), r.viewSeed(), r.jitterSeed(), r.height(),
                r.width(), r.channels(), r.grid(), r.gap(), r.size(), seq(boxed(r.y0())), seq(boxed(r.x0())),
                seq(new ArrayList<>(r.patches())));
    }

    /** The record of a row, by column name (rows read from a table carry their schema). */
    public static PatchRecord fromRow(Row row) {
        Long viewSeed = row.isNullAt(row.fieldIndex("view_seed")) ? null : row.<Long>getAs("view_seed");
        return new PatchRecord(row.getAs("id"), row.getAs("split"), row.<Integer>getAs("label"),
                row.<Integer>getAs("view"), viewSeed, row.<Long>getAs("jitter_seed"), row.<Integer>getAs("height"),
                row.<Integer>getAs("width"), row.<Integer>getAs("channels"), row.<Integer>getAs("grid"),
                row.<Integer>getAs("gap"), row.<Integer>getAs("size"), ints(row.getList(row.fieldIndex("y0"))),
                ints(row.getList(row.fieldIndex("x0"))), row.getList(row.fieldIndex("patches")));
    }

    /** Spark's row encoder takes Scala sequences for array columns (a java.util.List fails in the executor). */
    private static <T> scala.collection.Seq<T> seq(List<T> list) {
        return scala.collection.JavaConverters.asScalaBuffer(list);
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> out = new ArrayList<>(a.length);
        for (int v : a) {
            out.add(v);
        }
        return out;
    }

    private static int[] ints(List<Integer> list) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }
}
