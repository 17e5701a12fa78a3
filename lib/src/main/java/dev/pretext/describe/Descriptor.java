package dev.pretext.describe;

import dev.pretext.data.ImageRecord;

import java.io.Serializable;
import java.util.Map;

/**
 * A handcrafted, non-learned representation of one image (MV-MR's f_k(x)): a fixed-length float
 * vector whose length depends only on the image size and the descriptor's parameters, so that a
 * descriptors table has one fixed-width column per descriptor.
 *
 * <p>Implementations are immutable apart from lazily built caches, so one instance can be shared
 * by all tasks of a Spark executor and called from several threads at once.
 *
 * <p>Every descriptor sees the image as 3 colour planes: a 1-channel image is treated as grey
 * RGB (its plane repeated), so that its vector has the same length as a colour image's.
 */
public interface Descriptor extends Serializable {

    /** The registry name ({@link Descriptors#NAMES}), used as the column name. */
    String name();

    /**
     * Length of {@link #compute}'s result for an image of this size.
     *
     * @throws dev.pretext.UserError when the image is too small for this descriptor's parameters
     */
    int dimension(int height, int width);

    /**
     * The descriptor of one image. PNG/JPEG rows are decoded first ({@link ImageRecord#toRaw()}).
     *
     * @throws dev.pretext.UserError naming the record when its pixels are inconsistent or too small
     */
    float[] compute(ImageRecord image);

    /**
     * Everything needed to reproduce this descriptor (its name, parameters and output layout),
     * as JSON-friendly values (String, Number, Boolean, nested Map), in a stable order, for the table manifest.
     */
    Map<String, Object> parameters();
}
