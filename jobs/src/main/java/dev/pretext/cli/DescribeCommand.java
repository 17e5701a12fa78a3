package dev.pretext.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.spark.sql.SparkSession;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.describe.DescribeJob;
import dev.pretext.describe.DescribeResult;
import dev.pretext.describe.Descriptor;
import dev.pretext.describe.Descriptors;
import dev.pretext.describe.Teacher;
import dev.pretext.eval.PixelNormalization;
import dev.pretext.spark.SparkSessions;
import dev.pretext.spark.TaskProgress;

/** {@code describe}: handcrafted descriptors and teacher embeddings of an images table, for MV-MR. */
final class DescribeCommand implements Command {
    static final String DEFAULT_DESCRIPTORS = "hog,lsd,scattering,image,augmented";
    static final String NONE = "none";

    @Override
    public String name() {
        return "describe";
    }

    @Override
    public String summary() {
        return "handcrafted descriptors (HOG, local std, scattering, image) and teacher embeddings per image";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext describe --images TABLE --out TABLE [--descriptors LIST|none]
                                            [--teacher MODEL[:LAYER][=NAME]]... [--batch-size B]
                                            [--shards N] [--overwrite] [--master M]
                                            [--conf FILE]... [--set describe.DESCRIPTOR.KEY=V]...

                One row per image (id, split, label, height, width) with one float-array column per
                representation: the MV-MR targets f_k(x) of the non-augmented image, and teacher
                embeddings for label-free distillation. All images of the table must have one size
                (the first one of another size is named); the manifest gives each column's
                dimension and parameters. Computed on the executors; committed atomically.

                --descriptors   comma-separated, in column order (default describe.descriptors: %s; none for
                                teachers only):
                                  image       the image, CHW, x/255
                                  augmented   one SimCLR view of it, flattened the same way
                                  hog         histogram of oriented gradients
                                  lsd         3x3 local standard deviation per channel
                                  scattering  scattering transform, J = 2, L = 8
                --set describe.DESCRIPTOR.KEY=V (or a describe section in a --conf file) sets a
                                descriptor's parameter; defaults:
                                  hog.cell-size 8, hog.bins 9, hog.block-size 2, hog.clip 0.2,
                                  lsd.window 3, scattering.j 2, scattering.l 8, augmented.seed 0
                --teacher       repeatable; column teacher_NAME (NAME default: the model's file or
                                directory name without .zip). MODEL is a DL4J model zip
                                (ComputationGraph or MultiLayerNetwork, detected), a checkpoint
                                directory, or a run directory (its latest checkpoint). LAYER
                                default: 'embedding' when the model has it, else the input of its
                                last layer. Inputs are NCHW RGB (x/255 - data.mean) / data.std;
                                a model whose first layer is dense gets them flattened. On a
                                cluster, MODEL must be on storage every executor reads (hdfs://).
                --batch-size    images per teacher forward pass (default describe.batch-size, %d)
                --shards        output files, and partitions the work is spread over (default
                                data.shards)
                Paths may be file:// or hdfs://.
                """.formatted(DEFAULT_DESCRIPTORS, Teacher.DEFAULT_BATCH_SIZE);
    }

    @Override
    public int run(String[] argv) {
        List<String> teacherSpecs = new ArrayList<>();
        String[] rest = extractTeachers(argv, teacherSpecs);
        Args a = Args.parse(name(), rest, Set.of("images", "out", "descriptors", "shards", "batch-size", "master"),
                Set.of("overwrite"));
        String images = a.require("images");
        String out = a.require("out");
        CliTables.checkOutput(out, a.flag("overwrite"));
        PretextConfig cfg = ConfigArgs.load(a, Map.of("master", "spark.master", "descriptors", "describe.descriptors",
                "batch-size", "describe.batch-size"));
        List<Descriptor> descriptors = descriptors(cfg.describeDescriptors, cfg.describeParams);
        PixelNormalization norm = new PixelNormalization(toDouble(cfg.mean), toDouble(cfg.std));
        List<Teacher> teachers = new ArrayList<>();
        for (String spec : teacherSpecs) {
            teachers.add(Teacher.parse(spec, norm, cfg.describeBatchSize));
        }
        int shards = a.intValue("shards", cfg.dataShards);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-describe");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "describe")) {
            long t0 = System.nanoTime();
            System.err.printf(Locale.ROOT, "describe: computing %s%s of %s into %s ...%n", cfg.describeDescriptors,
                    teachers.isEmpty() ? "" : " and " + teachers.size() + " teacher(s)", images, out);
            DescribeResult r = DescribeJob.run(spark, images, out, descriptors, teachers, shards, a.flag("overwrite"));
            double s = (System.nanoTime() - t0) / 1e9;
            String dims = r.dimensions().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "));
            System.err.printf(Locale.ROOT, "describe: %d images %dx%d (%s), columns %s, into %s in %.1f s "
                    + "(%.0f images/s)%n", r.rows(), r.width(), r.height(), r.counts(), dims, out, s, r.rows() / s);
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The listed descriptors with their describe.NAME parameters (the config holds them for every name). */
    static List<Descriptor> descriptors(String list, Map<String, Map<String, Object>> params) {
        if (NONE.equals(list.trim())) {
            return List.of();
        }
        return Descriptors.configured(java.util.Arrays.stream(list.split(",", -1)).map(String::trim).toList(), params);
    }

    /** Takes the repeatable {@code --teacher} values out of argv (Args keeps one value per option). */
    static String[] extractTeachers(String[] argv, List<String> teachers) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            String t = argv[i];
            if (t.equals("--teacher")) {
                if (i + 1 >= argv.length) {
                    throw new UserError("describe: option --teacher needs a value");
                }
                teachers.add(argv[++i]);
            } else if (t.startsWith("--teacher=")) {
                teachers.add(t.substring("--teacher=".length()));
            } else {
                rest.add(t);
            }
        }
        return rest.toArray(new String[0]);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
