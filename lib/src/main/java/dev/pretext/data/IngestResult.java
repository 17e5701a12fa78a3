package dev.pretext.data;

import java.util.Map;

/**
 * What an ingest wrote.
 *
 * @param outDir      the committed table (fully qualified)
 * @param counts      rows per split
 * @param recordsSeen records read from the input files
 * @param rows        rows written
 * @param quarantined records left out ({@code <outDir>/_quarantine}); recordsSeen = rows + quarantined
 * @param manifest    the manifest committed with the table
 */
public record IngestResult(String outDir, Map<String, Long> counts, long recordsSeen, long rows, long quarantined,
                           Manifest manifest) {
}
