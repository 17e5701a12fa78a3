package dev.pretext.nn;

import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Switches on DL4J's oneDNN layer helpers on the CPU backend and reports whether they are in use.
 *
 * <p>Two things keep them off in DL4J 1.0.0-M2.1 (together about 6-10x in CPU training speed):
 * <ol>
 *   <li>the system property {@value #HELPERS_DISABLE_PROPERTY} defaults to {@code true}. DL4J reads
 *       it in {@code HelperUtils.createHelper}, i.e. each time a layer is instantiated (network
 *       {@code init()}, clone, {@code ModelSerializer} restore), never cached: set it before
 *       building networks, in every JVM that builds one (Spark executors included);
 *   <li>DL4J's oneDNN check reflects on a class that ND4J M2.1 renamed; the class
 *       {@link org.nd4j.nativeblas.Nd4jCpu} under the old name fixes that.
 * </ol>
 */
public final class CpuAcceleration {

    public static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    /**
     * The environment variable oneDNN (v2.3, inside libnd4j) reads once, at its first primitive: the
     * newest instruction set it may use. Pretext's launchers set it to {@link #DEFAULT_MAX_ISA} unless
     * the user did, and executors inherit the driver's value ({@code spark.executorEnv}). Why: on
     * AVX-512 CPUs oneDNN picks Winograd kernels ({@code jit_wino_4x3}) for the backward-data of the
     * 3x3 convolutions, 17.6 ms a call on a resnet18-cifar stage-1 layer against 4.5 ms for the
     * direct kernel; capped at AVX2 it uses direct kernels throughout, and a SimCLR fit step took
     * 0.80-0.94x the time (README, "Where a training step goes").
     */
    public static final String MAX_ISA_ENV = "DNNL_MAX_CPU_ISA";
    public static final String DEFAULT_MAX_ISA = "AVX2";

    /** The workaround class DL4J looks up by name; referenced here so that it is always compiled and packaged. */
    static final Class<?> LEGACY_ENVIRONMENT = org.nd4j.nativeblas.Nd4jCpu.Environment.class;

    private CpuAcceleration() {
    }

    /** What {@link #status()} found. */
    public record Status(String backend, boolean helpersEnabled, boolean oneDnnAvailable) {

        /** Whether convolution, batch-norm and pooling layers built from now on use oneDNN. */
        public boolean oneDnnInUse() {
            return helpersEnabled && oneDnnAvailable;
        }

        /** One line for logs. */
        public String describe() {
            if (oneDnnInUse()) {
                String isa = System.getenv(MAX_ISA_ENV);
                return "ND4J backend " + backend + ": oneDNN layer helpers in use, " + MAX_ISA_ENV + " "
                        + (isa == null || isa.isBlank() ? "not set (every instruction set)" : isa);
            }
            if (!"CPU".equalsIgnoreCase(backend)) {
                return "ND4J backend " + backend + ": oneDNN helpers not applicable";
            }
            return "ND4J backend " + backend + ": oneDNN layer helpers NOT in use ("
                    + (helpersEnabled ? "oneDNN unavailable in this ND4J build" : HELPERS_DISABLE_PROPERTY + " is true")
                    + "); CPU training will be several times slower";
        }
    }

    /**
     * Enables DL4J's layer helpers (sets {@value #HELPERS_DISABLE_PROPERTY} to false) and returns the
     * resulting status. Call at startup, before any network is built.
     */
    public static Status enable() {
        System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
        return status();
    }

    /** The current state; initialises the ND4J backend if needed. */
    public static Status status() {
        String backend = String.valueOf(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"));
        boolean helpers = !Boolean.parseBoolean(System.getProperty(HELPERS_DISABLE_PROPERTY, "true"));
        boolean oneDnn = "CPU".equalsIgnoreCase(backend) && BaseMKLDNNHelper.mklDnnEnabled();
        return new Status(backend, helpers, oneDnn);
    }
}
