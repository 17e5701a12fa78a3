package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.eval.PixelNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Teacher} checked on the driver against one image size: the model file (and its size and
 * modification time), the kind of network, the layer, the input layout and the embedding's
 * dimension. It is what travels to the executors.
 */
public final class ResolvedTeacher implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String column;
    private final String given;
    private final TeacherModelPool.Key key;
    private final String kind;
    private final String layer;
    private final boolean flatInput;
    private final int dimension;
    private final PixelNormalization normalization;
    private final int batchSize;
    private final int height;
    private final int width;

    ResolvedTeacher(String column, String given, TeacherModelPool.Key key, String kind, String layer, boolean flatInput,
                    int dimension, PixelNormalization normalization, int batchSize, int height, int width) {
        this.column = column;
        this.given = given;
        this.key = key;
        this.kind = kind;
        this.layer = layer;
        this.flatInput = flatInput;
        this.dimension = dimension;
        this.normalization = normalization;
        this.batchSize = batchSize;
        this.height = height;
        this.width = width;
    }

    public String column() {
        return column;
    }

    /** The model zip that is read (fully qualified). */
    public String modelFile() {
        return key.file();
    }

    public long modelBytes() {
        return key.length();
    }

    TeacherModelPool.Key key() {
        return key;
    }

    public String kind() {
        return kind;
    }

    public String layer() {
        return layer;
    }

    public int dimension() {
        return dimension;
    }

    public int batchSize() {
        return batchSize;
    }

    /**
     * The embeddings of RGB raw images of the resolved size, in order, with a borrowed model.
     *
     * @throws UserError naming the image when its size is not the resolved one
     */
    public float[][] embed(TeacherModel model, List<ImageRecord> rgb) {
        int n = rgb.size();
        if (n == 0) {
            return new float[0][];
        }
        int per = RgbPlanes.CHANNELS * height * width;
        float[] buf = new float[n * per];
        for (int i = 0; i < n; i++) {
            ImageRecord r = rgb.get(i);
            if (r.height() != height || r.width() != width || r.channels() != RgbPlanes.CHANNELS) {
                throw new UserError("teacher " + column + ", image '" + r.id() + "': " + r.width() + "x" + r.height()
                        + "x" + r.channels() + "; this table's images are " + width + "x" + height + " RGB");
            }
            normalization.toChw(r.data(), height, width, RgbPlanes.CHANNELS, buf, i * per);
        }
        INDArray x = Nd4j.create(buf, new long[]{n, RgbPlanes.CHANNELS, height, width}, 'c');
        float[][] out = model.embed(layer, x, batchSize).toFloatMatrix();
        if (out.length != n || out[0].length != dimension) {
            throw new IllegalStateException("teacher " + column + " gave " + out.length + "x" + out[0].length
                    + " embeddings for " + n + " images; expected dimension " + dimension);
        }
        return out;
    }

    /** Everything needed to reproduce the column, for the table manifest. */
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", column);
        p.put("model", given);
        p.put("model_file", key.file());
        p.put("model_bytes", key.length());
        p.put("model_modified", key.modified());
        p.put("kind", kind);
        p.put("layer", layer);
        p.put("input", flatInput ? "[N, 3*H*W] CHW-flattened" : "NCHW [N, 3, H, W]");
        p.put("normalisation", "(x/255 - mean[c]) / std[c], RGB (grey images repeated)");
        p.put("mean", Arrays.stream(normalization.mean()).boxed().toList());
        p.put("std", Arrays.stream(normalization.std()).boxed().toList());
        p.put("batch_size", batchSize);
        p.put("layout", "activations of the layer, flattened per image in C order");
        return Collections.unmodifiableMap(p);
    }
}
