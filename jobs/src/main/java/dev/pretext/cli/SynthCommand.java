package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.synth.SynthDatasetWriter;
import dev.pretext.synth.SynthImageFolderWriter;

import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code synth}: writes a procedural dataset in an official binary layout (no Spark). */
@Command(name = "synth", showDefaultValues = true,
        header = "write a seeded synthetic dataset in the CIFAR-10/CIFAR-100/STL-10 binary format or as a JPEG folder",
        description = """
                Writes procedural images (10 shape classes with nuisance variation: position, scale,
                rotation, colour, clutter, noise) as exact official binary files: CIFAR-10
                data_batch_1..5.bin + test_batch.bin, CIFAR-100 train.bin + test.bin, STL-10
                train_X/train_y/test_X/test_y/unlabeled_X.bin + class_names.txt + fold_indices.txt.
                imagefolder: JPEG files (quality 90, --size S pixels square) in train/<shape>/,
                val/<shape>/ (--test) and unlabeled/ (--unlabeled), for ingest --dataset imagefolder.
                The same seed gives byte-identical files.
                """)
final class SynthCommand extends PretextCommand {
    @Option(names = "--format", required = true, paramLabel = "cifar10|cifar100|stl10|imagefolder",
            description = "The layout to write.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write.")
    Path out;

    @Option(names = "--train", paramLabel = "N", defaultValue = "5000", description = "Training images.")
    int train;

    @Option(names = "--test", paramLabel = "N", defaultValue = "1000", description = "Test (imagefolder: val) images.")
    int test;

    @Option(names = "--unlabeled", paramLabel = "N", defaultValue = "0", description = "Unlabelled images.")
    int unlabeled;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "The seed.")
    long seed;

    @Option(names = "--size", paramLabel = "S", defaultValue = "64", description = "imagefolder: the side of the square images.")
    int size;

    @Override
    public Integer call() {
        if (!PretextConfig.FORMATS.contains(format)) {
            throw new UserError("synth: --format '" + format + "' is not known; use one of "
                    + String.join("|", PretextConfig.FORMATS));
        }
        long t0 = System.nanoTime();
        if (format.equals("imagefolder")) {
            SynthImageFolderWriter w = new SynthImageFolderWriter(seed, size, dev.pretext.data.ImageEncoder.jpeg(90));
            int threads = Runtime.getRuntime().availableProcessors();
            w.write(out, "train", train, threads);
            if (test > 0) {
                w.write(out, "val", test, threads);
            }
            if (unlabeled > 0) {
                w.write(out, "unlabeled", unlabeled, threads);
            }
        } else {
            new SynthDatasetWriter(seed).write(format, out, train, test, unlabeled);
        }
        System.err.printf("synth: wrote %s (%d train, %d test, %d unlabeled) to %s in %.1f s%n",
                format, train, test, unlabeled, out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
