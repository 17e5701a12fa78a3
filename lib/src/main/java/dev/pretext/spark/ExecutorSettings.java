package dev.pretext.spark;

import dev.pretext.nn.CpuAcceleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;

/**
 * What a Pretext application sets for its executors before its SparkContext starts, whatever
 * launched it ({@code bin/pretext}, {@code deploy/submit.sh}, a plain {@code spark-submit}, a
 * Kubernetes or YARN cluster-mode driver): {@link SparkSessions} applies it to every session.
 *
 * <ul>
 *   <li>{@code spark.executorEnv.OMP_NUM_THREADS} = {@code spark.executor.cores}. Spark 3.5 sets an
 *       executor's {@code OMP_NUM_THREADS} to {@code spark.task.cpus} (default 1) unless this is set,
 *       which leaves ND4J/oneDNN single-threaded on every cluster executor. A value the user set is
 *       kept. Without {@code spark.executor.cores} (a standalone executor takes all of its worker's
 *       cores, a number the driver does not know) nothing is set and a note says so.</li>
 *   <li>{@code spark.executorEnv.DNNL_MAX_CPU_ISA} = the driver's own {@code DNNL_MAX_CPU_ISA}, or
 *       {@link CpuAcceleration#DEFAULT_MAX_ISA} when the driver has none (see
 *       {@link CpuAcceleration#MAX_ISA_ENV}: oneDNN's choice of convolution kernels). A value the user set is kept.</li>
 *   <li>{@code spark.executor.extraJavaOptions} gains the DL4J flags the project runs with
 *       ({@link #EXECUTOR_FLAGS}: layer helpers on, Aeron's unblock timeout for the {@code shared}
 *       trainer, Java 17 reflection) where missing; the user's options are kept.</li>
 * </ul>
 * Local masters ({@code local}, {@code local[N]}) run tasks in the driver JVM, whose environment and
 * flags come from the launcher: nothing is set.
 */
public final class ExecutorSettings {
    public static final String OMP = "spark.executorEnv.OMP_NUM_THREADS";
    public static final String CORES = "spark.executor.cores";
    public static final String MAX_ISA = "spark.executorEnv." + CpuAcceleration.MAX_ISA_ENV;
    public static final String JAVA_OPTIONS = "spark.executor.extraJavaOptions";
    /** The JVM flags every executor needs (bin/pretext gives the driver the same). */
    public static final List<String> EXECUTOR_FLAGS = List.of(
            "-Dorg.eclipse.deeplearning4j.helpers.disable=false",
            "-Daeron.publication.unblock.timeout=60000000000",
            "-Djdk.reflect.useDirectMethodHandle=false");

    /** The settings to add, and notes for the user. */
    public record Plan(Map<String, String> settings, List<String> notes) {
    }

    private ExecutorSettings() {
    }

    /** What {@link #apply} would add to {@code conf} (nothing it already has is changed). */
    public static Plan plan(SparkConf conf) {
        return plan(conf, System.getenv(CpuAcceleration.MAX_ISA_ENV));
    }

    /** {@link #plan(SparkConf)} with the driver's {@code DNNL_MAX_CPU_ISA} given (null: not set). */
    static Plan plan(SparkConf conf, String driverMaxIsa) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        String master = conf.get("spark.master", "");
        if (master.equals("local") || master.startsWith("local[")) {
            return new Plan(out, notes);
        }
        if (!conf.contains(OMP)) {
            String cores = conf.get(CORES, "").trim();
            if (cores.isEmpty()) {
                notes.add(CORES + " is not set: the executors' OMP_NUM_THREADS stays at spark.task.cpus ("
                        + conf.get("spark.task.cpus", "1") + "); set " + CORES + " (or --executor-cores) so that"
                        + " ND4J uses every core of an executor");
            } else if (!cores.matches("[1-9][0-9]*")) {
                notes.add(CORES + " = '" + cores + "' is not a positive whole number: OMP_NUM_THREADS not set");
            } else {
                out.put(OMP, cores);
            }
        }
        if (!conf.contains(MAX_ISA)) {
            out.put(MAX_ISA, driverMaxIsa == null || driverMaxIsa.isBlank() ? CpuAcceleration.DEFAULT_MAX_ISA : driverMaxIsa.trim());
        }
        String options = conf.get(JAVA_OPTIONS, "").trim();
        StringBuilder more = new StringBuilder(options);
        for (String flag : EXECUTOR_FLAGS) {
            String name = flag.substring(0, flag.indexOf('=') + 1);
            if (!options.contains(name)) {
                more.append(more.length() == 0 ? "" : " ").append(flag);
            }
        }
        if (!more.toString().equals(options)) {
            out.put(JAVA_OPTIONS, more.toString());
        }
        return new Plan(out, notes);
    }

    /** Adds the settings of {@link #plan} to {@code conf}; returns the notes. */
    public static List<String> apply(SparkConf conf) {
        Plan p = plan(conf);
        p.settings().forEach(conf::set);
        return p.notes();
    }
}
