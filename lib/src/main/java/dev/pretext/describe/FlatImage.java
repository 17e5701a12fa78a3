package dev.pretext.describe;

import dev.pretext.data.ImageRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The image itself as a vector: CHW order, pixel / 255, length 3 * H * W. */
public final class FlatImage implements Descriptor {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "image";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int dimension(int height, int width) {
        return RgbPlanes.pixelCount(NAME, height, width);
    }

    @Override
    public float[] compute(ImageRecord image) {
        return scaled(RgbPlanes.planes(image, NAME));
    }

    static float[] scaled(int[] chw) {
        float[] out = new float[chw.length];
        for (int i = 0; i < chw.length; i++) {
            out[i] = chw[i] / 255f;
        }
        return out;
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", NAME);
        p.put("scale", "pixel/255");
        p.put("layout", "[channel][row][column]");
        return Collections.unmodifiableMap(p);
    }
}
