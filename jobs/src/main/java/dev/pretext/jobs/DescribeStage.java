package dev.pretext.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.ImagesTable;
import dev.pretext.data.Manifest;
import dev.pretext.describe.DescribeJob;
import dev.pretext.describe.DescribeResult;
import dev.pretext.describe.Descriptor;
import dev.pretext.describe.DescriptorsTable;
import dev.pretext.describe.Descriptors;
import dev.pretext.describe.ResolvedTeacher;
import dev.pretext.describe.Teacher;
import dev.pretext.eval.PixelNormalization;
import dev.pretext.method.PretextMethod;
import dev.pretext.method.Representations;
import dev.pretext.data.FsDir;
import dev.pretext.train.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code describe} stage of a pipeline, for a method that reads representations (MV-MR,
 * distillation): the descriptors table it trains on, either {@code data.descriptors} (checked) or
 * computed into {@code <run>/descriptors} for the pre-training splits, with exactly the columns the
 * method reads and the {@code describe.<name>.*} parameters, and reused when a resumed run finds it.
 *
 * <p>A table matches when it was made from these images (the images table's content fingerprint,
 * {@link ImagesTable#fingerprint}), covers every image of the pre-training splits, has every column
 * the method reads, and each column was computed with the parameters this run would use (for a
 * teacher: the same model file, size and modification time, layer and input normalisation). A
 * table that does not match is refused with every reason.
 */
public final class DescribeStage {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Teacher parameters that change its embedding (not the path as typed, nor the batch size). */
    private static final List<String> TEACHER_KEYS = List.of("model_file", "model_bytes", "model_modified", "kind",
            "layer", "mean", "std");

    /** The table a run trains on, and the width of each column the method reads, in its order. */
    public record Table(String dir, List<String> columns, int[] widths) {
    }

    private DescribeStage() {
    }

    /** The run's descriptors table for {@code method}, or null when it reads no representations. */
    public static Table forMethod(SparkSession spark, PretextConfig cfg, PretextMethod method, String imagesDir,
                                  FsDir runDir) {
        Representations reps = method.representations();
        if (reps.isEmpty()) {
            return null;
        }
        if (!cfg.dataDescriptors.isEmpty()) {
            return given(spark, cfg, reps, imagesDir, cfg.dataDescriptors);
        }
        return computed(spark, cfg, reps, imagesDir, runDir.child("descriptors"),
                Checkpoints.findLatest(runDir).isPresent());
    }

    /** {@code dir}, checked against these images and this config; a UserError with every reason when it does not match. */
    public static Table given(SparkSession spark, PretextConfig cfg, Representations reps, String imagesDir,
                              String dir) {
        Manifest m = DescriptorsTable.manifest(spark, dir);
        List<String> problems = problems(m, ImagesTable.fingerprint(spark, imagesDir),
                ImagesTable.manifest(spark, imagesDir).counts(), cfg.pretrainSplits, reps.columns(),
                descriptors(cfg, reps), teachers(cfg, reps), spark.sparkContext().hadoopConfiguration());
        if (!problems.isEmpty()) {
            throw new UserError("data.descriptors " + dir + " does not match this run: " + String.join("; ", problems)
                    + ". Make one for these images (bin/pretext describe --images " + imagesDir + " ...) or leave"
                    + " data.descriptors empty to compute it in the run");
        }
        System.err.printf(Locale.ROOT, "describe: reusing %s (columns %s)%n", dir, reps.columns());
        return table(dir, m, reps.columns());
    }

    /**
     * The table at {@code out}: reused when it is there and matches, else computed for the
     * pre-training splits (replacing one that no longer matches, unless {@code trainedOn}: then a
     * run's checkpoints were trained on it, and the mismatch is refused).
     */
    public static Table computed(SparkSession spark, PretextConfig cfg, Representations reps, String imagesDir,
                                 FsDir out, boolean trainedOn) {
        List<Descriptor> descriptors = descriptors(cfg, reps);
        List<Teacher> teachers = teachers(cfg, reps);
        long t0 = System.nanoTime();
        Map<String, Long> imageCounts = ImagesTable.manifest(spark, imagesDir).counts();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        boolean overwrite = false;
        if (out.child(Manifest.FILE_NAME).exists()) {
            Manifest m = DescriptorsTable.manifest(spark, out.toString());
            List<String> problems = problems(m, ImagesTable.fingerprint(spark, imagesDir), imageCounts,
                    cfg.pretrainSplits, reps.columns(), descriptors, teachers, conf);
            if (problems.isEmpty()) {
                System.err.printf(Locale.ROOT, "describe: descriptors table already computed: %s%n", out);
                return table(out.toString(), m, reps.columns());
            }
            if (trainedOn) {
                throw new UserError("the run's descriptors table " + out + " no longer matches its configuration ("
                        + String.join("; ", problems) + ") and the run has checkpoints trained on it: resume with the"
                        + " describe.* settings it was made with, or start a new run");
            }
            overwrite = true;
        } else if (out.exists()) {
            overwrite = true;   // a directory left by a failed attempt, with no manifest: nothing committed
        }
        System.err.printf(Locale.ROOT, "describe: computing %s of the %s images (%d) into %s%n", reps.columns(),
                cfg.pretrainSplits, pretrainCount(imageCounts, cfg.pretrainSplits), out);
        DescribeResult r = DescribeJob.run(spark, imagesDir, out.toString(), descriptors, teachers, cfg.dataShards,
                overwrite, cfg.pretrainSplits);
        double s = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "describe: %d images, widths %s, in %.1f s (%.1f images/s)%n", r.rows(),
                r.dimensions(), s, r.rows() / Math.max(1e-9, s));
        return table(out.toString(), r.manifest(), reps.columns());
    }

    private static List<Descriptor> descriptors(PretextConfig cfg, Representations reps) {
        return Descriptors.configured(reps.descriptors(), cfg.describeParams);
    }

    private static List<Teacher> teachers(PretextConfig cfg, Representations reps) {
        PixelNormalization norm = PixelNormalization.of(cfg.mean, cfg.std);
        List<Teacher> teachers = new ArrayList<>();
        for (String spec : reps.teachers()) {
            teachers.add(Teacher.parse(spec, norm, cfg.describeBatchSize));
        }
        return teachers;
    }

    private static long pretrainCount(Map<String, Long> counts, List<String> splits) {
        return splits.stream().mapToLong(sp -> counts.getOrDefault(sp, 0L)).sum();
    }

    private static Table table(String dir, Manifest m, List<String> columns) {
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = DescriptorsTable.dimension(m, columns.get(i));
        }
        return new Table(dir, List.copyOf(columns), widths);
    }

    /** Why a descriptors table cannot serve this run; empty when it can. */
    static List<String> problems(Manifest m, String fingerprint, Map<String, Long> imageCounts, List<String> splits,
                                 List<String> columns, List<Descriptor> descriptors, List<Teacher> teachers,
                                 Configuration conf) {
        List<String> out = new ArrayList<>();
        String made = DescriptorsTable.imagesFingerprint(m);
        if (made == null) {
            out.add("it does not record which images it was made from (written by an older describe)");
        } else if (!made.equals(fingerprint)) {
            out.add("it was made from other images (fingerprint " + made + ", these images " + fingerprint + ")");
        }
        for (String split : splits) {
            long want = imageCounts.getOrDefault(split, 0L);
            long have = m.counts().getOrDefault(split, 0L);
            if (want != have) {
                out.add("split '" + split + "' has " + have + " rows for " + want + " images");
            }
        }
        List<String> has = DescriptorsTable.columns(m);
        List<String> missing = columns.stream().filter(c -> !has.contains(c)).toList();
        if (!missing.isEmpty()) {
            out.add("it has no column " + String.join(", ", missing) + " (it has " + has + ")");
        }
        for (Descriptor d : descriptors) {
            if (has.contains(d.name())) {
                Object want = normalised(d.parameters());
                Object got = normalised(DescriptorsTable.parameters(m, d.name()));
                if (!want.equals(got)) {
                    out.add("column " + d.name() + " was computed with " + got + ", this run uses " + want);
                }
            }
        }
        if (out.isEmpty()) {
            for (Teacher t : teachers) {
                ResolvedTeacher r = t.resolve(conf, DescriptorsTable.height(m), DescriptorsTable.width(m));
                Map<String, Object> want = teacherKeys(r.parameters());
                Map<String, Object> got = teacherKeys(DescriptorsTable.parameters(m, r.column()));
                if (!want.equals(got)) {
                    out.add("column " + r.column() + " was computed with " + got + ", this run's teacher is " + want);
                }
            }
        }
        return out;
    }

    private static Map<String, Object> teacherKeys(Map<String, Object> params) {
        Map<String, Object> n = normalised(params);
        Map<String, Object> out = new LinkedHashMap<>();
        TEACHER_KEYS.forEach(k -> out.put(k, n.get(k)));
        return out;
    }

    /** Through JSON and back, so numbers compare by value whatever type wrote them. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalised(Map<String, Object> params) {
        try {
            return JSON.readValue(JSON.writeValueAsString(params == null ? Map.of() : params), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
