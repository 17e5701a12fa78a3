package dev.pretext.data;

import java.nio.file.Path;
import java.util.List;

/**
 * CIFAR-100 binary version ({@code cifar-100-binary}): {@code train.bin} and {@code test.bin}. A
 * record is the coarse label byte (0..19), the fine label byte (0..99), then 3072 pixel bytes in
 * R, G, B planes like CIFAR-10. {@code label} is the fine label, {@code label2} the coarse one.
 * {@code fine_label_names.txt} and {@code coarse_label_names.txt}, when present, become metadata.
 */
public final class Cifar100Reader extends BinaryDatasetReader {
    public static final String FORMAT = "cifar100";
    public static final int RECORD_BYTES = 2 + CifarPixels.BYTES;
    public static final int FINE_CLASSES = 100;
    public static final int COARSE_CLASSES = 20;

    public Cifar100Reader(Path dir, OnCorrupt onCorrupt) {
        this(new LocalFolder(dir), onCorrupt);
    }

    public Cifar100Reader(InputFolder folder, OnCorrupt onCorrupt) {
        super(folder, onCorrupt, "cifar-100-binary", List.of("train.bin", "test.bin"));
        planFile("train", "train.bin", null, RECORD_BYTES, 0);
        planFile("test", "test.bin", null, RECORD_BYTES, 0);
        List<String> fine = readLines("fine_label_names.txt");
        if (fine != null) {
            putMetadata("fine_label_names", fine);
        }
        List<String> coarse = readLines("coarse_label_names.txt");
        if (coarse != null) {
            putMetadata("coarse_label_names", coarse);
        }
    }

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    protected String displayName() {
        return "CIFAR-100";
    }

    @Override
    protected String expectedContents() {
        return "train.bin and test.bin (the CIFAR-100 binary version, " + RECORD_BYTES
                + " bytes per record), optionally fine_label_names.txt and coarse_label_names.txt";
    }

    @Override
    protected ReadResult decode(DatasetFile file, long index, byte[] record, int labelByte) {
        int coarse = record[0] & 0xff;
        int fine = record[1] & 0xff;
        if (coarse >= COARSE_CLASSES) {
            return corrupt(file, index, "coarse label " + coarse + " is out of range; CIFAR-100 coarse labels are 0..19");
        }
        if (fine >= FINE_CLASSES) {
            return corrupt(file, index, "fine label " + fine + " is out of range; CIFAR-100 fine labels are 0..99");
        }
        return ReadResult.good(new ImageRecord(id(file, index), file.split(), fine, coarse, CifarPixels.SIDE,
                CifarPixels.SIDE, 3, ImageRecord.RAW, CifarPixels.planarToHwc(record, 2), source(file, index)));
    }
}
