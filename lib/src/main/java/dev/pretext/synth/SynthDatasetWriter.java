package dev.pretext.synth;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;

import dev.pretext.UserError;

/**
 * Writes a synthetic dataset of {@link SynthRenderer} images in the exact official binary layouts
 * of CIFAR-10, CIFAR-100 and STL-10, so that the real readers and the whole pipeline run on it.
 * Output is a pure function of (seed, counts): every image has its own seed derived from (seed,
 * dataset, split, index), and labels are balanced then shuffled with a seed of their own. Each file
 * is written under a temporary name and renamed, so a crash never leaves a half-written file under
 * its real name.
 */
public final class SynthDatasetWriter {
    private static final int CIFAR_SIDE = 32;
    private static final int CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE;
    private static final int STL_SIDE = 96;
    private static final int STL_PLANE = STL_SIDE * STL_SIDE;
    private static final int CIFAR10_BATCHES = 5;

    private final long seed;

    public SynthDatasetWriter(long seed) {
        this.seed = seed;
    }

    /** Writes the dataset of {@code format} ({@code cifar10}, {@code cifar100}, {@code stl10}). */
    public void write(String format, Path dir, int train, int test, int unlabeled) {
        switch (format == null ? "" : format.trim().toLowerCase(Locale.ROOT)) {
            case "cifar10" -> writeCifar10(dir, train, test);
            case "cifar100" -> writeCifar100(dir, train, test);
            case "stl10" -> writeStl10(dir, train, test, unlabeled);
            default -> throw new UserError("synthetic dataset format '" + format
                    + "' is not known; use cifar10, cifar100 or stl10");
        }
    }

    /**
     * CIFAR-10 binary layout: {@code data_batch_1..5.bin} (train images split evenly, the first
     * batches taking one more when it does not divide), {@code test_batch.bin}, and
     * {@code batches.meta.txt} with the class names.
     */
    public void writeCifar10(Path dir, int train, int test) {
        checkCounts(train, test, 0);
        SynthRenderer renderer = new SynthRenderer(CIFAR_SIDE);
        int[] labels = balancedLabels(train, SynthRenderer.SHAPES, "cifar10/train");
        int start = 0;
        for (int b = 0; b < CIFAR10_BATCHES; b++) {
            int n = train / CIFAR10_BATCHES + (b < train % CIFAR10_BATCHES ? 1 : 0);
            int from = start;
            writeAtomically(dir, "data_batch_" + (b + 1) + ".bin", out -> {
                for (int i = from; i < from + n; i++) {
                    out.write(labels[i]);
                    out.write(planar(renderer.render(labels[i], imageSeed("cifar10/train", i))));
                }
            });
            start += n;
        }
        int[] testLabels = balancedLabels(test, SynthRenderer.SHAPES, "cifar10/test");
        writeAtomically(dir, "test_batch.bin", out -> {
            for (int i = 0; i < test; i++) {
                out.write(testLabels[i]);
                out.write(planar(renderer.render(testLabels[i], imageSeed("cifar10/test", i))));
            }
        });
        writeText(dir, "batches.meta.txt", SynthRenderer.SHAPE_NAMES);
    }

    /**
     * CIFAR-100 binary layout: {@code train.bin}, {@code test.bin} (coarse byte, fine byte, planar
     * pixels), {@code fine_label_names.txt}, {@code coarse_label_names.txt}. Fine class
     * {@code f = shape * 10 + style}; coarse {@code f / 5} = (shape, hue family).
     */
    public void writeCifar100(Path dir, int train, int test) {
        checkCounts(train, test, 0);
        SynthRenderer renderer = new SynthRenderer(CIFAR_SIDE);
        int classes = SynthRenderer.SHAPES * SynthRenderer.STYLES;
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? train : test;
            int[] labels = balancedLabels(n, classes, "cifar100/" + split);
            writeAtomically(dir, split + ".bin", out -> {
                for (int i = 0; i < n; i++) {
                    int fine = labels[i];
                    out.write(fine / 5);
                    out.write(fine);
                    byte[] hwc = renderer.render(fine / SynthRenderer.STYLES, fine % SynthRenderer.STYLES,
                            imageSeed("cifar100/" + split, i));
                    out.write(planar(hwc));
                }
            });
        }
        List<String> fine = new ArrayList<>();
        for (int f = 0; f < classes; f++) {
            fine.add(SynthRenderer.SHAPE_NAMES.get(f / SynthRenderer.STYLES) + "_"
                    + SynthRenderer.styleName(f % SynthRenderer.STYLES).replace('-', '_'));
        }
        List<String> coarse = new ArrayList<>();
        for (int c = 0; c < classes / 5; c++) {
            coarse.add(SynthRenderer.SHAPE_NAMES.get(c / 2) + "_" + SynthRenderer.HUE_NAMES.get(c % 2));
        }
        writeText(dir, "fine_label_names.txt", fine);
        writeText(dir, "coarse_label_names.txt", coarse);
    }

    /**
     * STL-10 binary layout at 96x96: {@code train_X.bin}/{@code train_y.bin},
     * {@code test_X.bin}/{@code test_y.bin}, {@code unlabeled_X.bin} (when {@code unlabeled > 0}),
     * {@code class_names.txt}, and {@code fold_indices.txt} (10 lines of train/5 0-based train
     * indices each, like the official 10 folds of 1000 out of 5000).
     */
    public void writeStl10(Path dir, int train, int test, int unlabeled) {
        checkCounts(train, test, unlabeled);
        SynthRenderer renderer = new SynthRenderer(STL_SIDE);
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? train : test;
            int[] labels = balancedLabels(n, SynthRenderer.SHAPES, "stl10/" + split);
            writeAtomically(dir, split + "_X.bin", out -> {
                for (int i = 0; i < n; i++) {
                    out.write(columnMajorPlanes(renderer.render(labels[i], imageSeed("stl10/" + split, i))));
                }
            });
            writeAtomically(dir, split + "_y.bin", out -> {
                for (int i = 0; i < n; i++) {
                    out.write(labels[i] + 1);
                }
            });
        }
        if (unlabeled > 0) {
            // the unlabeled pool draws classes freely, as a crawl would
            SplittableRandom classRng = new SplittableRandom(streamSeed("stl10/unlabeled/classes"));
            writeAtomically(dir, "unlabeled_X.bin", out -> {
                for (int i = 0; i < unlabeled; i++) {
                    int cls = classRng.nextInt(SynthRenderer.SHAPES);
                    out.write(columnMajorPlanes(renderer.render(cls, imageSeed("stl10/unlabeled", i))));
                }
            });
        }
        writeText(dir, "class_names.txt", SynthRenderer.SHAPE_NAMES);
        List<String> folds = new ArrayList<>();
        int foldSize = Math.max(train > 0 ? 1 : 0, train / 5);
        for (int k = 0; k < 10; k++) {
            int[] perm = permutation(train, "stl10/fold/" + k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < foldSize; i++) {
                line.append(i == 0 ? "" : " ").append(perm[i]);
            }
            folds.add(line.toString());
        }
        writeText(dir, "fold_indices.txt", folds);
    }

    /** Seed of image {@code index} of a stream such as {@code cifar10/train}. */
    long imageSeed(String stream, long index) {
        return SynthRenderer.mix(streamSeed(stream) + SynthRenderer.mix(index + 0x632BE59BD9B4E019L));
    }

    private long streamSeed(String stream) {
        // String.hashCode is specified by the JLS, so the seed is stable across JVMs
        return SynthRenderer.mix(seed ^ SynthRenderer.mix(stream.hashCode() * 0x9E3779B97F4A7C15L));
    }

    /** {@code n} labels, each class equally often (up to one), in a seeded random order. */
    private int[] balancedLabels(int n, int classes, String stream) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        shuffle(labels, new SplittableRandom(streamSeed(stream + "/labels")));
        return labels;
    }

    private int[] permutation(int n, String stream) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, new SplittableRandom(streamSeed(stream)));
        return p;
    }

    private static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** HWC to CIFAR's R, G, B planes (each row-major). */
    static byte[] planar(byte[] hwc) {
        byte[] out = new byte[hwc.length];
        for (int p = 0; p < CIFAR_PLANE; p++) {
            out[p] = hwc[3 * p];
            out[CIFAR_PLANE + p] = hwc[3 * p + 1];
            out[2 * CIFAR_PLANE + p] = hwc[3 * p + 2];
        }
        return out;
    }

    /** HWC to STL-10's R, G, B planes, each column-major (byte x*96 + y is row y, column x). */
    static byte[] columnMajorPlanes(byte[] hwc) {
        byte[] out = new byte[hwc.length];
        for (int c = 0; c < 3; c++) {
            for (int x = 0; x < STL_SIDE; x++) {
                for (int y = 0; y < STL_SIDE; y++) {
                    out[c * STL_PLANE + x * STL_SIDE + y] = hwc[(y * STL_SIDE + x) * 3 + c];
                }
            }
        }
        return out;
    }

    private static void checkCounts(int train, int test, int unlabeled) {
        if (train < 0 || test < 0 || unlabeled < 0) {
            throw new UserError("synthetic dataset counts must be >= 0 (got train " + train + ", test " + test
                    + ", unlabeled " + unlabeled + ")");
        }
    }

    private interface Body {
        void write(OutputStream out) throws IOException;
    }

    private static void writeText(Path dir, String name, List<String> lines) {
        writeAtomically(dir, name, out -> out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code dir/name} through a temporary sibling and a rename. */
    private static void writeAtomically(Path dir, String name, Body body) {
        Path target = dir.resolve(name);
        Path tmp = dir.resolve("." + name + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(dir);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the temporary name never shadows a real file
            }
        }
    }
}
