package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.synth.SynthDatasetWriter;
import dev.pretext.synth.SynthImageFolderWriter;

import java.nio.file.Path;
import java.util.Set;

/** {@code synth}: writes a procedural dataset in an official binary layout (no Spark). */
final class SynthCommand implements Command {
    @Override
    public String name() {
        return "synth";
    }

    @Override
    public String summary() {
        return "write a seeded synthetic dataset in the CIFAR-10/CIFAR-100/STL-10 binary format or as a JPEG folder";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext synth --format cifar10|cifar100|stl10|imagefolder --out DIR
                                         [--train N] [--test N] [--unlabeled N] [--seed S] [--size S]

                Writes procedural images (10 shape classes with nuisance variation: position, scale,
                rotation, colour, clutter, noise) as exact official binary files: CIFAR-10
                data_batch_1..5.bin + test_batch.bin, CIFAR-100 train.bin + test.bin, STL-10
                train_X/train_y/test_X/test_y/unlabeled_X.bin + class_names.txt + fold_indices.txt.
                imagefolder: JPEG files (quality 90, --size S pixels square, default 64) in
                train/<shape>/, val/<shape>/ (--test) and unlabeled/ (--unlabeled), for ingest
                --dataset imagefolder.
                The same seed gives byte-identical files. Defaults: 5000 train, 1000 test, 0 unlabeled, seed 7.
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of("format", "out", "train", "test", "unlabeled", "seed", "size"), Set.of());
        String format = a.require("format");
        if (!PretextConfig.FORMATS.contains(format)) {
            throw new UserError("synth: --format '" + format + "' is not known; use one of "
                    + String.join("|", PretextConfig.FORMATS));
        }
        Path out = Path.of(a.require("out"));
        int train = a.intValue("train", 5000);
        int test = a.intValue("test", 1000);
        int unlabeled = a.intValue("unlabeled", 0);
        long seed = a.intValue("seed", 7);
        long t0 = System.nanoTime();
        if (format.equals("imagefolder")) {
            SynthImageFolderWriter w = new SynthImageFolderWriter(seed, a.intValue("size", 64),
                    dev.pretext.data.ImageEncoder.jpeg(90));
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
