package dev.pretext.describe;

import dev.pretext.data.Manifest;

import java.util.Map;

/**
 * What a describe job wrote.
 *
 * @param outDir     the committed table (fully qualified)
 * @param counts     rows per split
 * @param rows       rows written, one per image
 * @param height     the table's image height
 * @param width      the table's image width
 * @param dimensions vector length per column, in column order
 * @param manifest   the manifest committed with the table
 */
public record DescribeResult(String outDir, Map<String, Long> counts, long rows, int height, int width,
                             Map<String, Integer> dimensions, Manifest manifest) {
}
