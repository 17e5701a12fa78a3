package dev.pretext.augment;

/**
 * Crop a box out of a uint8 HWC image and resize it bilinearly into planar float [0,1] channels.
 *
 * <p>Resampling follows PIL's {@code Image.resize(BILINEAR)} (what torchvision's
 * RandomResizedCrop uses on PIL images): pixel centres at half-integers, a triangle filter whose
 * support widens with the downscale factor (so shrinking antialiases instead of aliasing), weights
 * renormalised at the borders. Upscaling reduces to ordinary half-pixel bilinear interpolation with
 * edge clamping, and a box of exactly the output size is copied unchanged.
 *
 * <p>Separable: a horizontal pass over the crop's rows, then a vertical pass. The flip is folded
 * into the horizontal pass by writing mirrored columns, which equals flipping after the resize.
 */
final class CropResize {
    private CropResize() {
    }

    /** Per output coordinate: first source index, tap count, and tap weights (maxTaps apart). */
    record Taps(int[] start, int[] count, float[] weights, int maxTaps) {
    }

    /**
     * @param dst planar output, length {@code channels * outH * outW}, values in [0, 1]
     */
    static void apply(byte[] src, int srcH, int srcW, int channels,
                      int x0, int y0, int cropW, int cropH,
                      int outH, int outW, boolean flip, float[] dst) {
        if (x0 < 0 || y0 < 0 || x0 + cropW > srcW || y0 + cropH > srcH || cropW < 1 || cropH < 1) {
            throw new IllegalArgumentException("crop box x=" + x0 + " y=" + y0 + " w=" + cropW + " h=" + cropH
                    + " does not fit a " + srcW + "x" + srcH + " image");
        }
        Taps tx = taps(cropW, outW, 1f / 255f);
        Taps ty = taps(cropH, outH, 1f);
        float[] tmp = new float[channels * cropH * outW];
        int tmpPlane = cropH * outW;
        int[] sx = tx.start, nx = tx.count;
        float[] wx = tx.weights;
        int mx = tx.maxTaps;
        for (int r = 0; r < cropH; r++) {
            int rowBase = ((y0 + r) * srcW + x0) * channels;
            for (int ox = 0; ox < outW; ox++) {
                int col = flip ? outW - 1 - ox : ox;
                int s = rowBase + sx[ox] * channels;
                int n = nx[ox];
                int wb = ox * mx;
                if (channels == 3) {
                    float a0 = 0f, a1 = 0f, a2 = 0f;
                    for (int t = 0, p = s; t < n; t++, p += 3) {
                        float w = wx[wb + t];
                        a0 += w * (src[p] & 0xff);
                        a1 += w * (src[p + 1] & 0xff);
                        a2 += w * (src[p + 2] & 0xff);
                    }
                    int o = r * outW + col;
                    tmp[o] = a0;
                    tmp[tmpPlane + o] = a1;
                    tmp[2 * tmpPlane + o] = a2;
                    continue;
                }
                for (int c = 0; c < channels; c++) {
                    float acc = 0f;
                    for (int t = 0, p = s + c; t < n; t++, p += channels) {
                        acc += wx[wb + t] * (src[p] & 0xff);
                    }
                    tmp[c * tmpPlane + r * outW + col] = acc;
                }
            }
        }
        int outPlane = outH * outW;
        int[] sy = ty.start, ny = ty.count;
        float[] wy = ty.weights;
        int my = ty.maxTaps;
        for (int c = 0; c < channels; c++) {
            int tb = c * tmpPlane;
            for (int oy = 0; oy < outH; oy++) {
                int ob = c * outPlane + oy * outW;
                int n = ny[oy];
                for (int t = 0; t < n; t++) {
                    float w = wy[oy * my + t];
                    int rb = tb + (sy[oy] + t) * outW;
                    if (t == 0) {
                        for (int ox = 0; ox < outW; ox++) {
                            dst[ob + ox] = w * tmp[rb + ox];
                        }
                    } else {
                        for (int ox = 0; ox < outW; ox++) {
                            dst[ob + ox] += w * tmp[rb + ox];
                        }
                    }
                }
            }
        }
    }

    /**
     * PIL's {@code precompute_coeffs} for the bilinear (triangle) filter, mapping {@code inSize}
     * source samples onto {@code outSize}; weights are multiplied by {@code gain} after
     * normalisation (used to fold the 1/255 scaling into the first pass).
     */
    static Taps taps(int inSize, int outSize, float gain) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale;
        int maxTaps = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        float[] weights = new float[outSize * maxTaps];
        double[] k = new double[maxTaps];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++) {
                double d = Math.abs((x + xmin - center + 0.5) / filterScale);
                k[x] = d < 1.0 ? 1.0 - d : 0.0;
                sum += k[x];
            }
            // Zero-weight taps at either end add exact zeros: dropping them changes no bit.
            int first = 0, last = xmax - 1;
            while (first < last && k[first] == 0.0) {
                first++;
            }
            while (last > first && k[last] == 0.0) {
                last--;
            }
            start[xx] = xmin + first;
            count[xx] = last - first + 1;
            for (int x = first; x <= last; x++) {
                weights[xx * maxTaps + x - first] = (float) (k[x] / sum * gain);
            }
        }
        return new Taps(start, count, weights, maxTaps);
    }
}
