package dev.pretext.data;

import java.io.Serializable;

/**
 * A record left out of a table because it was bad.
 *
 * @param source lineage of the record, e.g. {@code data_batch_1.bin#42}
 * @param reason what was wrong and what would have been valid
 */
public record QuarantinedItem(String source, String reason) implements Serializable {
}
