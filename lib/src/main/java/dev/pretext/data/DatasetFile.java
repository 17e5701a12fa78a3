package dev.pretext.data;

import java.io.Serializable;

/**
 * One data file of a binary dataset, as planned (and validated) by a reader: the unit that an
 * ingest splits into record ranges for executors.
 *
 * @param split        {@code train}, {@code test}, {@code unlabeled}
 * @param file         file name inside the dataset folder, e.g. {@code data_batch_1.bin}
 * @param labelFile    a parallel one-byte-per-record label file (STL-10 {@code train_y.bin}), or null
 *                     when labels are inside the records (CIFAR) or absent (STL-10 unlabeled)
 * @param sizeBytes    size of {@code file}
 * @param recordBytes  bytes per record in {@code file}
 * @param records      whole records in {@code file}
 * @param partialBytes bytes of a truncated trailing record (only kept under {@link OnCorrupt#SKIP};
 *                     under FAIL such a file is rejected when planned)
 * @param firstIndex   index of this file's first record within its split (ids count across files)
 */
public record DatasetFile(String split, String file, String labelFile, long sizeBytes, int recordBytes,
                          long records, long partialBytes, long firstIndex) implements Serializable {

    /** Records a full read of this file sees: whole records plus a truncated one, if any. */
    public long seen() {
        return records + (partialBytes > 0 ? 1 : 0);
    }
}
