package dev.pretext.augment;

/**
 * Separable Gaussian blur with reflect padding, as torchvision's {@code gaussian_blur}: the 1-D
 * kernel is {@code exp(-x^2 / (2 sigma^2))} at x = -(k-1)/2 .. (k-1)/2, normalised to sum 1.
 */
final class GaussianBlur {
    private GaussianBlur() {
    }

    /** StrictMath so that the kernel, and hence the pixels, are bit-identical on every JVM. */
    static float[] kernel(int size, double sigma) {
        if (size < 1 || size % 2 == 0 || !(sigma > 0)) {
            throw new IllegalArgumentException("blur kernel must be odd and >= 1 and sigma > 0, got " + size + ", " + sigma);
        }
        double half = (size - 1) * 0.5;
        double[] pdf = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            double x = (-half + i) / sigma;
            pdf[i] = StrictMath.exp(-0.5 * x * x);
            sum += pdf[i];
        }
        float[] k = new float[size];
        for (int i = 0; i < size; i++) {
            k[i] = (float) (pdf[i] / sum);
        }
        return k;
    }

    /** Blurs a planar image in place. */
    static void apply(float[] buf, int channels, int height, int width, float[] kernel) {
        int k = kernel.length;
        if (k == 1) {
            return;
        }
        int r = k / 2;
        int[] iy = reflectTable(height, k);
        int plane = height * width;
        float[] tmp = new float[plane];
        // One reflect-padded row at a time keeps the horizontal inner loop free of index tables.
        float[] line = new float[width + 2 * r];
        for (int c = 0; c < channels; c++) {
            int base = c * plane;
            for (int y = 0; y < height; y++) {
                int row = base + y * width;
                System.arraycopy(buf, row, line, r, width);
                for (int p = 0; p < r; p++) {
                    line[p] = buf[row + reflect(p - r, width)];
                    line[r + width + p] = buf[row + reflect(width + p, width)];
                }
                int out = y * width;
                // Tap-outer, pixel-inner: contiguous loops the JIT vectorises (same sums, same order).
                float w0 = kernel[0];
                for (int x = 0; x < width; x++) {
                    tmp[out + x] = w0 * line[x];
                }
                for (int t = 1; t < k; t++) {
                    float w = kernel[t];
                    for (int x = 0; x < width; x++) {
                        tmp[out + x] += w * line[x + t];
                    }
                }
            }
            for (int y = 0; y < height; y++) {
                int out = base + y * width;
                int tb = y * k;
                int src0 = iy[tb] * width;
                float w0 = kernel[0];
                for (int x = 0; x < width; x++) {
                    buf[out + x] = w0 * tmp[src0 + x];
                }
                for (int t = 1; t < k; t++) {
                    float w = kernel[t];
                    int src = iy[tb + t] * width;
                    for (int x = 0; x < width; x++) {
                        buf[out + x] += w * tmp[src + x];
                    }
                }
            }
        }
    }

    /** Source index of each tap for each output position, reflecting at the borders (no edge repeat). */
    static int[] reflectTable(int n, int k) {
        int r = k / 2;
        int[] table = new int[n * k];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < k; t++) {
                table[i * k + t] = reflect(i + t - r, n);
            }
        }
        return table;
    }

    static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }
}
