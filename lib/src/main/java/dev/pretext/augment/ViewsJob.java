package dev.pretext.augment;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Materialises the views table: one row per (image, epoch, view) for epochs [0, E) and views
 * [0, V), holding the drawn parameters, the seed and the pixels. Each row's pixels equal
 * {@code new SimClrAugment(spec).view(image, ViewSeeds.seed(baseSeed, id, epoch, view))}, so a
 * trainer may read this table or augment on the fly and see the same data.
 *
 * <p>The work runs on the executors (mapPartitions), one image's E*V views generated lazily.
 */
public final class ViewsJob {

    /** Schema of the views table. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            field("id", DataTypes.StringType),
            field("split", DataTypes.StringType),
            field("label", DataTypes.IntegerType),
            field("epoch", DataTypes.IntegerType),
            field("view", DataTypes.IntegerType),
            field("seed", DataTypes.LongType),
            field("crop_x", DataTypes.IntegerType),
            field("crop_y", DataTypes.IntegerType),
            field("crop_w", DataTypes.IntegerType),
            field("crop_h", DataTypes.IntegerType),
            field("flip", DataTypes.BooleanType),
            field("jitter", DataTypes.BooleanType),
            field("brightness", DataTypes.DoubleType),
            field("contrast", DataTypes.DoubleType),
            field("saturation", DataTypes.DoubleType),
            field("hue", DataTypes.DoubleType),
            field("jitter_order", DataTypes.StringType),
            field("grayscale", DataTypes.BooleanType),
            field("blur_sigma", DataTypes.DoubleType),
            field("blur_kernel", DataTypes.IntegerType),
            field("height", DataTypes.IntegerType),
            field("width", DataTypes.IntegerType),
            field("channels", DataTypes.IntegerType),
            field("data", DataTypes.BinaryType),
    });

    /** The images-table columns this job reads, with their types (others are ignored). */
    private static final String[] INPUT_COLUMNS = {"id", "split", "label", "height", "width", "channels", "encoding", "data"};
    private static final DataType[] INPUT_TYPES = {DataTypes.StringType, DataTypes.StringType, DataTypes.IntegerType,
            DataTypes.IntegerType, DataTypes.IntegerType, DataTypes.IntegerType, DataTypes.StringType, DataTypes.BinaryType};

    private ViewsJob() {
    }

    public static StructType schema() {
        return SCHEMA;
    }

    /**
     * The views of every image in {@code images} (an images table: id, split, label, height,
     * width, channels, encoding, data; other columns ignored). Lazy: nothing runs until the result
     * is written or collected. A record that cannot be augmented (not {@code raw}, wrong byte
     * count) fails the job with a {@link UserError} naming its id.
     */
    public static Dataset<Row> views(Dataset<Row> images, AugmentSpec spec, long baseSeed, int epochs, int views) {
        if (epochs < 1) {
            throw new UserError("views: epochs must be >= 1, got " + epochs);
        }
        if (views < 1) {
            throw new UserError("views: views per image must be >= 1, got " + views);
        }
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        int[] idx = inputIndices(images.schema());
        return images.mapPartitions(new Generate(new SimClrAugment(spec), baseSeed, epochs, views, idx),
                Encoders.row(SCHEMA));
    }

    /** Writes a views dataset as Parquet to {@code path}, failing if something is already there. */
    public static void write(Dataset<Row> views, String path) {
        views.write().mode(SaveMode.ErrorIfExists).parquet(path);
    }

    private static int[] inputIndices(StructType schema) {
        List<String> problems = new ArrayList<>();
        int[] idx = new int[INPUT_COLUMNS.length];
        List<String> names = Arrays.asList(schema.fieldNames());
        for (int i = 0; i < INPUT_COLUMNS.length; i++) {
            int at = names.indexOf(INPUT_COLUMNS[i]);
            if (at < 0) {
                problems.add("missing column '" + INPUT_COLUMNS[i] + "' (" + INPUT_TYPES[i].simpleString() + ")");
            } else if (!schema.fields()[at].dataType().equals(INPUT_TYPES[i])) {
                problems.add("column '" + INPUT_COLUMNS[i] + "' is " + schema.fields()[at].dataType().simpleString()
                        + ", expected " + INPUT_TYPES[i].simpleString());
            }
            idx[i] = at;
        }
        if (!problems.isEmpty()) {
            throw new UserError("views: the input is not an images table: " + String.join("; ", problems)
                    + ". Expected columns id string, split string, label int, height int, width int, channels int, "
                    + "encoding string, data binary");
        }
        return idx;
    }

    private static StructField field(String name, DataType type) {
        return DataTypes.createStructField(name, type, false);
    }

    /** The executor side: expands each image row into its epochs * views view rows. */
    private static final class Generate implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final SimClrAugment augment;
        private final long baseSeed;
        private final int epochs;
        private final int views;
        private final int[] idx;

        Generate(SimClrAugment augment, long baseSeed, int epochs, int views, int[] idx) {
            this.augment = augment;
            this.baseSeed = baseSeed;
            this.epochs = epochs;
            this.views = views;
            this.idx = idx;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            return new Iterator<>() {
                private ImageRecord image;
                private int epoch;
                private int view;

                @Override
                public boolean hasNext() {
                    return image != null || input.hasNext();
                }

                @Override
                public Row next() {
                    if (image == null) {
                        if (!input.hasNext()) {
                            throw new NoSuchElementException();
                        }
                        image = toRecord(input.next(), idx);
                        epoch = 0;
                        view = 0;
                    }
                    long seed = ViewSeeds.seed(baseSeed, image.id(), epoch, view);
                    Row row = toRow(image, epoch, view, seed, augment.view(image, seed));
                    if (++view == views) {
                        view = 0;
                        if (++epoch == epochs) {
                            image = null;
                        }
                    }
                    return row;
                }
            };
        }
    }

    private static Row toRow(ImageRecord image, int epoch, int view, long seed, View v) {
        AugmentParams p = v.params();
        return RowFactory.create(image.id(), image.split(), image.label(), epoch, view, seed,
                p.cropX(), p.cropY(), p.cropW(), p.cropH(), p.flip(), p.jitter(),
                p.brightness(), p.contrast(), p.saturation(), p.hue(), p.jitterOrder(), p.grayscale(),
                p.blurSigma(), p.blurKernel(), v.height(), v.width(), v.channels(), v.pixels());
    }

    /** Row of the images table to a record; only the columns this job reads (label2, source unused). */
    private static ImageRecord toRecord(Row row, int[] idx) {
        String id = row.isNullAt(idx[0]) ? null : row.getString(idx[0]);
        for (int i = 0; i < idx.length; i++) {
            if (row.isNullAt(idx[i])) {
                throw new UserError("views: image " + (id == null ? "<null id>" : id) + " has a null '"
                        + INPUT_COLUMNS[i] + "'; every images-table column this job reads must be set");
            }
        }
        return new ImageRecord(id, row.getString(idx[1]), row.getInt(idx[2]), -1,
                row.getInt(idx[3]), row.getInt(idx[4]), row.getInt(idx[5]), row.getString(idx[6]),
                (byte[]) row.get(idx[7]), "");
    }
}
