package dev.pretext.patches;

import dev.pretext.data.Manifest;

import java.util.Map;

/**
 * What a patches job wrote.
 *
 * @param outDir       the committed table (fully qualified)
 * @param counts       rows per split
 * @param images       images read
 * @param rows         rows written: images * rowsPerImage
 * @param rowsPerImage views per image (plus the original when included)
 * @param patches      patches written: rows * grid^2
 * @param manifest     the manifest committed with the table
 */
public record PatchesResult(String outDir, Map<String, Long> counts, long images, long rows, int rowsPerImage,
                            long patches, Manifest manifest) {
}
