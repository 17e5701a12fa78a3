package dev.pretext.augment;

/**
 * The colour transforms of torchvision's tensor path, on planar float images in [0, 1]
 * ({@code buf[c * plane + i]}). Each op clamps to [0, 1] as torchvision's {@code _blend} does.
 * Saturation, hue and grayscale leave a 1-channel image unchanged, like torchvision.
 */
final class ColorOps {
    // ITU-R 601-2 luma.
    static final float LUMA_R = 0.299f;
    static final float LUMA_G = 0.587f;
    static final float LUMA_B = 0.114f;

    private ColorOps() {
    }

    static void brightness(float[] buf, int plane, int channels, float factor) {
        int n = plane * channels;
        for (int i = 0; i < n; i++) {
            buf[i] = clamp(buf[i] * factor);
        }
    }

    /** Blend with the mean luma of the whole image. */
    static void contrast(float[] buf, int plane, int channels, float factor) {
        double sum = 0;
        if (channels == 3) {
            for (int i = 0; i < plane; i++) {
                sum += luma(buf[i], buf[plane + i], buf[2 * plane + i]);
            }
        } else {
            for (int i = 0; i < plane * channels; i++) {
                sum += buf[i];
            }
            sum /= channels;
        }
        float mean = (float) (sum / plane);
        float other = (1f - factor) * mean;
        int n = plane * channels;
        for (int i = 0; i < n; i++) {
            buf[i] = clamp(factor * buf[i] + other);
        }
    }

    /** Blend each pixel with its own luma. */
    static void saturation(float[] buf, int plane, int channels, float factor) {
        if (channels != 3) {
            return;
        }
        float keep = 1f - factor;
        for (int i = 0; i < plane; i++) {
            float r = buf[i], g = buf[plane + i], b = buf[2 * plane + i];
            float l = keep * luma(r, g, b);
            buf[i] = clamp(factor * r + l);
            buf[plane + i] = clamp(factor * g + l);
            buf[2 * plane + i] = clamp(factor * b + l);
        }
    }

    /** Rotate hue by {@code shift} turns through HSV, exactly as torchvision's _rgb2hsv/_hsv2rgb. */
    static void hue(float[] buf, int plane, int channels, float shift) {
        if (channels != 3) {
            return;
        }
        for (int i = 0; i < plane; i++) {
            float r = buf[i], g = buf[plane + i], b = buf[2 * plane + i];
            float maxc = Math.max(r, Math.max(g, b));
            float minc = Math.min(r, Math.min(g, b));
            boolean eqc = maxc == minc;
            float cr = maxc - minc;
            float s = cr / (eqc ? 1f : maxc);
            float crd = eqc ? 1f : cr;
            float rc = (maxc - r) / crd;
            float gc = (maxc - g) / crd;
            float bc = (maxc - b) / crd;
            float h;
            if (maxc == r) {
                h = bc - gc;
            } else if (maxc == g) {
                h = 2f + rc - bc;
            } else {
                h = 4f + gc - rc;
            }
            // torch: fmod(h / 6 + 1, 1) then Python's (h + shift) % 1.0. The operands lie in
            // [0, 2) and [-1.5, 2) (|shift| <= 0.5 is validated), where these branches give
            // bit-identical results without a slow fmod call per pixel (x - 1 is exact there).
            h = h / 6f + 1f;
            if (h >= 1f) {
                h -= 1f;
            }
            h += shift;
            if (h >= 1f) {
                h -= 1f;
            } else if (h < 0f) {
                h += 1f;
            }
            float v = maxc;
            float h6 = h * 6f;
            float fi = (float) Math.floor(h6);
            float f = h6 - fi;
            int sector = ((int) fi) % 6;
            float p = clamp(v * (1f - s));
            float q = clamp(v * (1f - s * f));
            float t = clamp(v * (1f - s * (1f - f)));
            float ro, go, bo;
            switch (sector) {
                case 0 -> { ro = v; go = t; bo = p; }
                case 1 -> { ro = q; go = v; bo = p; }
                case 2 -> { ro = p; go = v; bo = t; }
                case 3 -> { ro = p; go = q; bo = v; }
                case 4 -> { ro = t; go = p; bo = v; }
                default -> { ro = v; go = p; bo = q; }
            }
            buf[i] = ro;
            buf[plane + i] = go;
            buf[2 * plane + i] = bo;
        }
    }

    /** Replace every channel by the pixel's luma. */
    static void grayscale(float[] buf, int plane, int channels) {
        if (channels != 3) {
            return;
        }
        for (int i = 0; i < plane; i++) {
            float l = luma(buf[i], buf[plane + i], buf[2 * plane + i]);
            buf[i] = l;
            buf[plane + i] = l;
            buf[2 * plane + i] = l;
        }
    }

    static float luma(float r, float g, float b) {
        return LUMA_R * r + LUMA_G * g + LUMA_B * b;
    }

    /** min/max rather than branches so that the JIT can vectorise the loops. */
    static float clamp(float x) {
        return Math.max(0f, Math.min(1f, x));
    }
}
