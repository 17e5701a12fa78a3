package dev.pretext.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
@Command(name = "describe",
        header = "handcrafted descriptors (HOG, local std, scattering, image) and teacher embeddings per image",
        description = """
                One row per image (id, split, label, height, width) with one float-array column per
                representation: the MV-MR targets f_k(x) of the non-augmented image, and teacher
                embeddings for label-free distillation. All images of the table must have one size
                (the first one of another size is named); the manifest gives each column's
                dimension and parameters. Computed on the executors; committed atomically.

                Descriptors (--descriptors, in column order):
                  image       the image, CHW, x/255
                  augmented   one SimCLR view of it, flattened the same way
                  hog         histogram of oriented gradients
                  lsd         3x3 local standard deviation per channel
                  scattering  scattering transform, J = 2, L = 8
                --set describe.DESCRIPTOR.KEY=V (or a describe section in a --conf file) sets a
                descriptor's parameter; defaults:
                  hog.cell-size 8, hog.bins 9, hog.block-size 2, hog.clip 0.2,
                  lsd.window 3, scattering.j 2, scattering.l 8, augmented.seed 0
                Paths may be file:// or hdfs://.
                """)
final class DescribeCommand extends PretextCommand {
    static final String DEFAULT_DESCRIPTORS = "hog,lsd,scattering,image,augmented";
    static final String NONE = "none";

    @Option(names = "--images", required = true, paramLabel = "TABLE", description = "The images table.")
    String images;

    @Option(names = "--out", required = true, paramLabel = "TABLE", description = "The descriptors table to write.")
    String out;

    @Option(names = "--descriptors", paramLabel = "LIST|none",
            description = "Comma-separated, in column order (default describe.descriptors: " + DEFAULT_DESCRIPTORS
                    + "); none for teachers only.")
    String descriptorList;

    @Option(names = "--teacher", paramLabel = "MODEL[:LAYER][=NAME]",
            description = "Repeatable; column teacher_NAME (NAME default: the model's file or directory name without"
                    + " .zip). MODEL is a DL4J model zip (ComputationGraph or MultiLayerNetwork, detected), a"
                    + " checkpoint directory, or a run directory (its latest checkpoint). LAYER default: 'embedding'"
                    + " when the model has it, else the input of its last layer. Inputs are NCHW RGB (x/255 -"
                    + " data.mean) / data.std; a model whose first layer is dense gets them flattened. On a cluster,"
                    + " MODEL must be on storage every executor reads (hdfs://).")
    List<String> teacherSpecs = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "B",
            description = "Images per teacher forward pass (default describe.batch-size, " + Teacher.DEFAULT_BATCH_SIZE + ").")
    Integer batchSize;

    @Option(names = "--shards", paramLabel = "N",
            description = "Output files, and partitions the work is spread over (default data.shards).")
    Integer shards;

    @Option(names = "--overwrite", description = "Replace an existing output table.")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master (spark.master).")
    String master;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        CliTables.checkOutput(out, overwrite);
        PretextConfig cfg = ConfigArgs.load(config, ConfigArgs.keys("spark.master", master,
                "describe.descriptors", descriptorList, "describe.batch-size", batchSize));
        List<Descriptor> descriptors = descriptors(cfg.describeDescriptors, cfg.describeParams);
        PixelNormalization norm = new PixelNormalization(toDouble(cfg.mean), toDouble(cfg.std));
        List<Teacher> teachers = new ArrayList<>();
        for (String spec : teacherSpecs) {
            teachers.add(Teacher.parse(spec, norm, cfg.describeBatchSize));
        }
        int parts = shards == null ? cfg.dataShards : shards;
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-describe");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "describe")) {
            long t0 = System.nanoTime();
            System.err.printf(Locale.ROOT, "describe: computing %s%s of %s into %s ...%n", cfg.describeDescriptors,
                    teachers.isEmpty() ? "" : " and " + teachers.size() + " teacher(s)", images, out);
            DescribeResult r = DescribeJob.run(spark, images, out, descriptors, teachers, parts, overwrite);
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

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
