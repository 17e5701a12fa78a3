package dev.pretext.eval;

import dev.pretext.UserError;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The raw-pixel baseline of the features table: each image's pixels / 255 as one dense vector, in
 * the stored HWC order (a probe is invariant to a fixed permutation of coordinates, so no
 * transpose is needed). Computed on the executors, one pass over the images.
 *
 * <p><b>Reduction for large images</b> ({@code eval.raw-pixels-size}, default 32): an image whose
 * longer side exceeds {@code maxSide} is first area-averaged down to {@code round(h * s) x
 * round(w * s)} (each at least 1), {@code s = maxSide / max(h, w)}: every output pixel is the mean
 * of the input area it covers, partially covered input pixels weighted by the covered fraction
 * (the box filter of OpenCV's {@code INTER_AREA} and PIL's {@code Image.reduce}). CIFAR's 32 x 32
 * stays as it is (3,072-d, exactly bytes / 255); STL-10's 96 x 96 (27,648-d) and 64 x 64 ImageNet
 * become 32 x 32 x 3 = 3,072-d. Raw pixels are a baseline: this keeps its probe and kNN at the
 * CIFAR cost on every dataset.
 */
public final class PixelFeatures {
    /** Default {@code eval.raw-pixels-size}. */
    public static final int DEFAULT_MAX_SIDE = 32;

    private PixelFeatures() {
    }

    /** {@link #compute(Dataset, int)} with the default longer side of 32. */
    public static Dataset<Row> compute(Dataset<Row> images) {
        return compute(images, DEFAULT_MAX_SIDE);
    }

    /** Rows {@code id, split, label, layer="pixels", vector} of {@link FeatureTable#SCHEMA}. */
    public static Dataset<Row> compute(Dataset<Row> images, int maxSide) {
        if (maxSide <= 0) throw new UserError("raw-pixel features: eval.raw-pixels-size must be > 0, got " + maxSide);
        JavaRDD<Row> rows = RawImages.select(images).toJavaRDD().map(r -> {
            RawImages.Image img = RawImages.read(r);
            int[] size = reducedSize(img.height(), img.width(), maxSide);
            double[] v = areaAverage(img.data(), img.height(), img.width(), img.channels(), size[0], size[1]);
            for (int i = 0; i < v.length; i++) v[i] /= 255.0;
            return RowFactory.create(img.id(), img.split(), img.label(), FeatureTable.PIXELS_LAYER, Vectors.dense(v));
        });
        return images.sparkSession().createDataFrame(rows, FeatureTable.SCHEMA);
    }

    /** {height, width} after the reduction: unchanged when the longer side is at most maxSide. */
    static int[] reducedSize(int h, int w, int maxSide) {
        int longer = Math.max(h, w);
        if (longer <= maxSide) return new int[]{h, w};
        double s = maxSide / (double) longer;
        return new int[]{
                Math.max(1, Math.min(maxSide, (int) Math.round(h * s))),
                Math.max(1, Math.min(maxSide, (int) Math.round(w * s)))};
    }

    /**
     * Area-average of an 8-bit HWC image to {@code oh x ow}, values in [0, 255], HWC. The same size
     * returns the bytes as they are. Separable: output row i covers input rows
     * {@code [i h / oh, (i + 1) h / oh)}, each input row weighted by its overlap with that interval.
     */
    static double[] areaAverage(byte[] hwc, int h, int w, int c, int oh, int ow) {
        double[] out = new double[oh * ow * c];
        if (oh == h && ow == w) {
            for (int i = 0; i < out.length; i++) out[i] = hwc[i] & 0xff;
            return out;
        }
        double[][] wy = weights(h, oh), wx = weights(w, ow);
        int[] y0 = firsts(h, oh), x0 = firsts(w, ow);
        double norm = (oh / (double) h) * (ow / (double) w);  // 1 / covered area, in input pixels
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                int o = (i * ow + j) * c;
                for (int a = 0; a < wy[i].length; a++) {
                    int y = y0[i] + a;
                    for (int b = 0; b < wx[j].length; b++) {
                        double wgt = wy[i][a] * wx[j][b];
                        int p = (y * w + x0[j] + b) * c;
                        for (int ch = 0; ch < c; ch++) out[o + ch] += wgt * (hwc[p + ch] & 0xff);
                    }
                }
                for (int ch = 0; ch < c; ch++) out[o + ch] *= norm;
            }
        }
        return out;
    }

    /** For each output index, the overlaps of input cells first..last with its interval. */
    private static double[][] weights(int n, int on) {
        double[][] out = new double[on][];
        int[] first = firsts(n, on);
        for (int i = 0; i < on; i++) {
            double a = i * (double) n / on, b = (i + 1) * (double) n / on;
            int last = (int) Math.min(n - 1, Math.ceil(b) - 1);
            out[i] = new double[last - first[i] + 1];
            for (int k = first[i]; k <= last; k++) out[i][k - first[i]] = Math.min(k + 1, b) - Math.max(k, a);
        }
        return out;
    }

    private static int[] firsts(int n, int on) {
        int[] f = new int[on];
        for (int i = 0; i < on; i++) f[i] = (int) Math.floor(i * (double) n / on);
        return f;
    }
}
