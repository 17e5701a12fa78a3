package dev.pretext.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.pretext.UserError;

/**
 * STL-10 binary version ({@code stl10_binary}): {@code train_X.bin}/{@code train_y.bin},
 * {@code test_X.bin}/{@code test_y.bin}, and optionally {@code unlabeled_X.bin} (split
 * {@code unlabeled}, label -1). An image is 96x96x3 stored as three channel planes R, G, B, each
 * plane column-major (byte {@code x*96 + y} is row y, column x), as MATLAB wrote them. Label files
 * hold one byte per image, 1..10, stored here as 0..9. {@code class_names.txt} (metadata
 * {@code class_names}) and {@code fold_indices.txt} (metadata {@code fold_indices}: one list of
 * 0-based train indices per line) are kept when present.
 */
public final class Stl10Reader extends BinaryDatasetReader {
    public static final String FORMAT = "stl10";
    public static final int SIDE = 96;
    public static final int PLANE = SIDE * SIDE;
    public static final int RECORD_BYTES = 3 * PLANE;
    public static final int CLASSES = 10;

    public Stl10Reader(Path dir, OnCorrupt onCorrupt) {
        this(new LocalFolder(dir), onCorrupt);
    }

    public Stl10Reader(InputFolder folder, OnCorrupt onCorrupt) {
        super(folder, onCorrupt, "stl10_binary", List.of("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin"));
        planLabelled("train");
        planLabelled("test");
        if (sizeOf("unlabeled_X.bin") >= 0) {
            planFile("unlabeled", "unlabeled_X.bin", null, RECORD_BYTES, 0);
        }
        List<String> names = readLines("class_names.txt");
        if (names != null) {
            putMetadata("class_names", names);
        }
        List<String> folds = readLines("fold_indices.txt");
        if (folds != null) {
            putMetadata("fold_indices", parseFolds(folds));
        }
    }

    private void planLabelled(String split) {
        String x = split + "_X.bin";
        String y = split + "_y.bin";
        // both names checked first so the message is about the missing file, not about sizes
        if (sizeOf(x) < 0) {
            throw missing(x);
        }
        long labels = sizeOf(y);
        if (labels < 0) {
            throw missing(y);
        }
        DatasetFile f = planFile(split, x, y, RECORD_BYTES, 0);
        // a truncated trailing image may or may not still have its label byte
        boolean matches = labels == f.records() || (f.partialBytes() > 0 && labels == f.seen());
        if (!matches) {
            throw new UserError("STL-10 " + where(y) + " has " + labels + " labels but " + where(x) + " has "
                    + f.records() + " images (" + f.sizeBytes() + " bytes, " + RECORD_BYTES
                    + " per image); the two files must have one label byte per image");
        }
        addInput(y, labels);
    }

    private List<List<Integer>> parseFolds(List<String> lines) {
        List<List<Integer>> folds = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            List<Integer> fold = new ArrayList<>();
            for (String tok : lines.get(i).split("\\s+")) {
                try {
                    fold.add(Integer.parseInt(tok));
                } catch (NumberFormatException e) {
                    throw new UserError("STL-10 " + where("fold_indices.txt") + " line " + (i + 1) + ": '" + tok
                            + "' is not an integer; each line must be space-separated 0-based train indices");
                }
            }
            folds.add(fold);
        }
        return folds;
    }

    @Override
    public boolean hasLabels(DatasetFile file) {
        return file.labelFile() != null;
    }

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    protected String displayName() {
        return "STL-10";
    }

    @Override
    protected String expectedContents() {
        return "train_X.bin, train_y.bin, test_X.bin and test_y.bin (the STL-10 binary version, " + RECORD_BYTES
                + " bytes per image, one label byte 1..10 per image), optionally unlabeled_X.bin, class_names.txt "
                + "and fold_indices.txt";
    }

    @Override
    protected ReadResult decode(DatasetFile file, long index, byte[] record, int labelByte) {
        int label = -1;
        if (file.labelFile() != null) {
            if (labelByte < 1 || labelByte > CLASSES) {
                return corrupt(file, index, "label " + labelByte + " in " + file.labelFile()
                        + " is out of range; STL-10 labels are 1..10");
            }
            label = labelByte - 1;
        }
        return ReadResult.good(new ImageRecord(id(file, index), file.split(), label, -1, SIDE, SIDE, 3,
                ImageRecord.RAW, toHwc(record), source(file, index)));
    }

    /** Column-major channel planes to row-major HWC. */
    static byte[] toHwc(byte[] record) {
        byte[] hwc = new byte[RECORD_BYTES];
        for (int c = 0; c < 3; c++) {
            int plane = c * PLANE;
            for (int x = 0; x < SIDE; x++) {
                int col = plane + x * SIDE;
                for (int y = 0; y < SIDE; y++) {
                    hwc[(y * SIDE + x) * 3 + c] = record[col + y];
                }
            }
        }
        return hwc;
    }
}
