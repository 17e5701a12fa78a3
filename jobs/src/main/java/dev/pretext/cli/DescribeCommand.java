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
    private static final String SECTION = "describe.";

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

                --descriptors   comma-separated, in column order (default %s; none for
                                teachers only):
                                  image       the image, CHW, x/255
                                  augmented   one SimCLR view of it, flattened the same way
                                  hog         histogram of oriented gradients
                                  lsd         3x3 local standard deviation per channel
                                  scattering  scattering transform, J = 2, L = 8
                --set describe.DESCRIPTOR.KEY=V overrides a descriptor's parameter:
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
                --batch-size    images per teacher forward pass (default %d)
                --shards        output files, and partitions the work is spread over (default
                                data.shards)
                Paths may be file:// or hdfs://.
                """.formatted(DEFAULT_DESCRIPTORS, Teacher.DEFAULT_BATCH_SIZE);
    }

    @Override
    public int run(String[] argv) {
        List<String> teacherSpecs = new ArrayList<>();
        Map<String, Map<String, Object>> overrides = new LinkedHashMap<>();
        String[] rest = extract(argv, teacherSpecs, overrides);
        Args a = Args.parse(name(), rest, Set.of("images", "out", "descriptors", "shards", "batch-size", "master"),
                Set.of("overwrite"));
        String images = a.require("images");
        String out = a.require("out");
        PretextConfig cfg = ConfigArgs.load(a, Map.of("master", "spark.master"));
        List<Descriptor> descriptors = descriptors(a.get("descriptors", DEFAULT_DESCRIPTORS), overrides);
        int batch = a.intValue("batch-size", Teacher.DEFAULT_BATCH_SIZE);
        PixelNormalization norm = new PixelNormalization(toDouble(cfg.mean), toDouble(cfg.std));
        List<Teacher> teachers = new ArrayList<>();
        for (String spec : teacherSpecs) {
            teachers.add(Teacher.parse(spec, norm, batch));
        }
        int shards = a.intValue("shards", cfg.dataShards);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-describe");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "describe")) {
            long t0 = System.nanoTime();
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

    static List<Descriptor> descriptors(String list, Map<String, Map<String, Object>> overrides) {
        if (NONE.equals(list.trim())) {
            if (!overrides.isEmpty()) {
                throw new UserError("describe: parameters given for " + overrides.keySet() + " but --descriptors is none");
            }
            return List.of();
        }
        return Descriptors.parseList(list, overrides);
    }

    /**
     * Takes the repeatable {@code --teacher} values and the {@code --set describe.D.K=V} descriptor
     * parameters out of argv (Args keeps one value per option, and the config has no describe
     * section), returning the rest.
     */
    static String[] extract(String[] argv, List<String> teachers, Map<String, Map<String, Object>> overrides) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            String t = argv[i];
            if (t.equals("--teacher") || t.equals("--set")) {
                if (i + 1 >= argv.length) {
                    throw new UserError("describe: option " + t + " needs a value");
                }
                String v = argv[++i];
                if (t.equals("--teacher")) {
                    teachers.add(v);
                } else if (!describeSet(v, overrides)) {
                    rest.add(t);
                    rest.add(v);
                }
            } else if (t.startsWith("--teacher=")) {
                teachers.add(t.substring("--teacher=".length()));
            } else if (!(t.startsWith("--set=") && describeSet(t.substring("--set=".length()), overrides))) {
                rest.add(t);
            }
        }
        return rest.toArray(new String[0]);
    }

    /** Records {@code describe.D.K=V} as a parameter override of descriptor D; false for other keys. */
    private static boolean describeSet(String kv, Map<String, Map<String, Object>> overrides) {
        if (!kv.trim().startsWith(SECTION)) {
            return false;
        }
        int eq = kv.indexOf('=');
        String key = eq < 0 ? kv.trim() : kv.substring(0, eq).trim();
        String[] parts = key.substring(SECTION.length()).split("\\.");
        if (eq < 0 || parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new UserError("describe: --set " + kv + " is not of the form describe.DESCRIPTOR.KEY=VALUE "
                    + "(e.g. describe.hog.cell-size=4); descriptors: " + String.join(", ", Descriptors.NAMES));
        }
        String value = kv.substring(eq + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        overrides.computeIfAbsent(parts[0], k -> new LinkedHashMap<>()).put(parts[1], value);
        return true;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
