package dev.pretext.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 binary version ({@code cifar-10-batches-bin}): {@code data_batch_1.bin} ..
 * {@code data_batch_5.bin} (split train, ids counted across the five files in order) and
 * {@code test_batch.bin} (split test). A record is 1 label byte (0..9) then 3072 pixel bytes:
 * the R plane, the G plane, the B plane, each 32x32 row-major. {@code batches.meta.txt}, when
 * present, gives the class names (metadata {@code class_names}).
 */
public final class Cifar10Reader extends BinaryDatasetReader {
    public static final String FORMAT = "cifar10";
    public static final int RECORD_BYTES = 1 + CifarPixels.BYTES;
    public static final int CLASSES = 10;
    static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
            "data_batch_4.bin", "data_batch_5.bin");
    static final String TEST_FILE = "test_batch.bin";

    public Cifar10Reader(Path dir, OnCorrupt onCorrupt) {
        this(new LocalFolder(dir), onCorrupt);
    }

    public Cifar10Reader(InputFolder folder, OnCorrupt onCorrupt) {
        super(folder, onCorrupt, "cifar-10-batches-bin", requiredFiles());
        long first = 0;
        for (String name : TRAIN_FILES) {
            first += planFile("train", name, null, RECORD_BYTES, first).records();
        }
        planFile("test", TEST_FILE, null, RECORD_BYTES, 0);
        List<String> names = readLines("batches.meta.txt");
        if (names != null) {
            putMetadata("class_names", names);
        }
    }

    private static List<String> requiredFiles() {
        List<String> all = new ArrayList<>(TRAIN_FILES);
        all.add(TEST_FILE);
        return all;
    }

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    protected String displayName() {
        return "CIFAR-10";
    }

    @Override
    protected String expectedContents() {
        return "data_batch_1.bin .. data_batch_5.bin and test_batch.bin (the CIFAR-10 binary version, "
                + RECORD_BYTES + " bytes per record), optionally batches.meta.txt";
    }

    @Override
    protected ReadResult decode(DatasetFile file, long index, byte[] record, int labelByte) {
        int label = record[0] & 0xff;
        if (label >= CLASSES) {
            return corrupt(file, index, "label " + label + " is out of range; CIFAR-10 labels are 0..9");
        }
        return ReadResult.good(new ImageRecord(id(file, index), file.split(), label, -1, CifarPixels.SIDE,
                CifarPixels.SIDE, 3, ImageRecord.RAW, CifarPixels.planarToHwc(record, 1), source(file, index)));
    }
}
