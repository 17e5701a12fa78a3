package dev.pretext.describe;

import dev.pretext.UserError;
import dev.pretext.eval.PixelNormalization;
import dev.pretext.train.Checkpoints;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * A teacher for label-free distillation, as the user asked for it: a saved model, the layer whose
 * activations are the embedding, the column name, and the input normalisation. {@link #resolve}
 * turns it into a {@link ResolvedTeacher} for one image size.
 *
 * <p>The model may be given as
 * <ul>
 *   <li>a DL4J model zip ({@code ModelSerializer}): a ComputationGraph or a MultiLayerNetwork;</li>
 *   <li>a Pretext checkpoint directory (holding {@code model.zip});</li>
 *   <li>a Pretext run directory (holding {@code checkpoints/}): its latest complete checkpoint.</li>
 * </ul>
 * on any Hadoop file system. Executors read the model from that path, so on a cluster it must be
 * on storage every executor can reach (HDFS, or a shared file system).
 *
 * <p>Images go in as NCHW RGB floats {@code (x/255 - mean[c]) / std[c]} (1-channel images as grey
 * RGB), which must be the transform the teacher was trained with.
 */
public final class Teacher implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_SIZE = 64;

    private final String model;
    private final String layer;
    private final String name;
    private final PixelNormalization normalization;
    private final int batchSize;

    /**
     * @param model         model zip, checkpoint directory or run directory
     * @param layer         layer whose activations are the embedding; null for the model's default
     *                      ({@link TeacherModel})
     * @param name          column name suffix ({@code teacher_<name>}); null for the model path's base
     *                      name without {@code .zip}
     * @param normalization per-channel mean and std of x/255 for 3 channels
     * @param batchSize     images per forward pass
     */
    public Teacher(String model, String layer, String name, PixelNormalization normalization, int batchSize) {
        if (model == null || model.isBlank()) {
            throw new UserError("teacher model path is empty; give MODEL.zip[:layer][=name]");
        }
        if (normalization == null || normalization.channels() != RgbPlanes.CHANNELS) {
            throw new UserError("teacher " + model + ": the input normalisation needs 3 channels (RGB), got "
                    + (normalization == null ? "none" : normalization.channels()));
        }
        if (batchSize < 1) {
            throw new UserError("teacher " + model + ": batch size must be >= 1, got " + batchSize);
        }
        this.model = model;
        this.layer = layer == null || layer.isEmpty() ? null : layer;
        this.name = name == null || name.isEmpty() ? null : name;
        this.normalization = normalization;
        this.batchSize = batchSize;
        column(); // a name without letters fails here, not on the cluster
    }

    /**
     * Parses {@code MODEL[:layer][=name]}. The layer is the text after the last {@code :} that
     * follows the last {@code /}, so URIs such as {@code hdfs://nn:8020/m.zip} keep their port.
     */
    public static Teacher parse(String spec, PixelNormalization normalization, int batchSize) {
        if (spec == null || spec.isBlank()) {
            throw new UserError("teacher is empty; give MODEL.zip[:layer][=name]");
        }
        String rest = spec.trim();
        String name = null;
        int eq = rest.lastIndexOf('=');
        if (eq >= 0) {
            name = rest.substring(eq + 1);
            rest = rest.substring(0, eq);
            if (name.isBlank()) {
                throw new UserError("teacher '" + spec + "': the name after '=' is empty");
            }
        }
        String layer = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/') && colon > 0) {
            layer = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (layer.isBlank()) {
                throw new UserError("teacher '" + spec + "': the layer after ':' is empty");
            }
        }
        return new Teacher(rest, layer, name, normalization, batchSize);
    }

    public String model() {
        return model;
    }

    /** The layer asked for, or null for the model's default. */
    public String layer() {
        return layer;
    }

    public PixelNormalization normalization() {
        return normalization;
    }

    public int batchSize() {
        return batchSize;
    }

    /** {@code teacher_<name>}, sanitised ({@link DescriptorRows#teacherColumn}). */
    public String column() {
        return DescriptorRows.teacherColumn(name != null ? name : baseName(model));
    }

    static String baseName(String path) {
        String s = path.replaceAll("/+$", "");
        s = s.substring(s.lastIndexOf('/') + 1);
        return s.replaceAll("(?i)\\.zip$", "");
    }

    /**
     * Finds the model file, restores it on the driver (checking that it exists, is a DL4J model,
     * has the layer, and takes images of this size) and measures the embedding's dimension with one
     * forward pass.
     *
     * @throws UserError naming the model for any of those problems
     */
    public ResolvedTeacher resolve(Configuration conf, int height, int width) {
        String file = locateModel(conf, model);
        TeacherModelPool.Key key = TeacherModelPool.Key.of(conf, file);
        TeacherModel m = TeacherModelPool.borrow(key, conf);
        String resolvedLayer = m.resolveLayer(layer);
        boolean flat = m.takesFlatInput();
        long inputSize = (long) RgbPlanes.CHANNELS * height * width;
        if (flat && m.flatInputSize() > 0 && m.flatInputSize() != inputSize) {
            throw new UserError("teacher model " + file + " takes flat inputs of " + m.flatInputSize() + " values but "
                    + width + "x" + height + " RGB images give 3*H*W = " + inputSize);
        }
        int dimension;
        try {
            float[] zeros = new float[(int) inputSize];
            dimension = (int) m.embed(resolvedLayer, org.nd4j.linalg.factory.Nd4j.create(zeros,
                    new long[]{1, RgbPlanes.CHANNELS, height, width}, 'c'), 1).size(1);
        } catch (UserError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserError("teacher model " + file + " (" + m.kind() + ") cannot embed " + width + "x" + height
                    + " RGB images at layer '" + resolvedLayer + "': " + e.getMessage(), e);
        }
        TeacherModelPool.giveBack(key, m);
        return new ResolvedTeacher(column(), model, key, m.kind(), resolvedLayer, flat, dimension, normalization,
                batchSize, height, width);
    }

    /**
     * The model zip a teacher path stands for, fully qualified: the file itself, a checkpoint
     * directory's {@code model.zip}, or a run directory's latest complete checkpoint.
     */
    public static String locateModel(Configuration conf, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            Path q = fs.makeQualified(p);
            if (!fs.exists(q)) {
                throw new UserError("teacher model " + path + " does not exist; give a DL4J model zip, a checkpoint "
                        + "directory (with " + Checkpoints.MODEL + ") or a Pretext run directory (with "
                        + Checkpoints.DIR + "/)");
            }
            if (fs.isFile(q)) {
                return q.toString();
            }
            Path zip = new Path(q, Checkpoints.MODEL);
            if (fs.isFile(zip)) {
                return zip.toString();
            }
            Path checkpoints = new Path(q, Checkpoints.DIR);
            if (fs.isDirectory(checkpoints)) {
                return latestCheckpoint(fs, q).toString();
            }
            throw new UserError("teacher model " + path + " is a directory with neither " + Checkpoints.MODEL
                    + " nor " + Checkpoints.DIR + "/; give a DL4J model zip, a checkpoint or a run directory");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look up teacher model " + path, e);
        }
    }

    private static Path latestCheckpoint(FileSystem fs, Path run) {
        // the trainer's own rule, on any file system: the newest checkpoint whose files are all there
        return Checkpoints.findLatest(dev.pretext.data.FsDir.of(run.toString(), fs.getConf()))
                .map(c -> new Path(c.model().uri()))
                .orElseThrow(() -> new UserError("run " + run + " has no complete checkpoint (run pretrain first)"));
    }

    @Override
    public String toString() {
        return model + (layer == null ? "" : ":" + layer) + (name == null ? "" : "=" + name)
                + " mean=" + Arrays.toString(normalization.mean()) + " std=" + Arrays.toString(normalization.std());
    }
}
