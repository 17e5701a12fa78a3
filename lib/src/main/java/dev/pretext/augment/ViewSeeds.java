package dev.pretext.augment;

import java.nio.charset.StandardCharsets;

/**
 * The seed of one view, derived from (base seed, image id, epoch, view index) so that any
 * executor, any JVM and any later re-run computes the same seed without coordination.
 *
 * <p>The exact definition (reimplementable elsewhere), with {@code mix} the SplitMix64 finaliser
 * and {@code G = 0x9E3779B97F4A7C15}, all arithmetic modulo 2^64:
 * <pre>
 *   step(h, w) = mix((h ^ w) + G)
 *   h = mix(baseSeed + G)
 *   for each 8-byte chunk of UTF-8(id), little-endian, the last one zero-padded: h = step(h, chunk)
 *   h = step(h, byteLength(id))
 *   h = step(h, (epoch &lt;&lt; 32) | view)
 * </pre>
 * A 64-bit hash rather than {@code String.hashCode}: the latter has 32 bits and trivial
 * collisions ("Aa" and "BB"), which would give two images the same augmentations.
 */
public final class ViewSeeds {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private ViewSeeds() {
    }

    public static long seed(long baseSeed, String imageId, int epoch, int viewIndex) {
        if (imageId == null) {
            throw new IllegalArgumentException("image id must not be null");
        }
        if (epoch < 0 || viewIndex < 0) {
            throw new IllegalArgumentException("epoch and view index must be >= 0, got " + epoch + ", " + viewIndex);
        }
        byte[] bytes = imageId.getBytes(StandardCharsets.UTF_8);
        long h = mix64(baseSeed + GOLDEN);
        for (int i = 0; i < bytes.length; i += 8) {
            long w = 0;
            for (int j = Math.min(8, bytes.length - i) - 1; j >= 0; j--) {
                w = (w << 8) | (bytes[i + j] & 0xffL);
            }
            h = step(h, w);
        }
        h = step(h, bytes.length);
        return step(h, ((long) epoch << 32) | (viewIndex & 0xffffffffL));
    }

    private static long step(long h, long w) {
        return mix64((h ^ w) + GOLDEN);
    }

    /** SplitMix64's output function (Stafford's Mix13): a bijection on 64-bit values. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
