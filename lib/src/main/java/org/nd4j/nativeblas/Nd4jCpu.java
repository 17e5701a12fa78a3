package org.nd4j.nativeblas;

/**
 * WORKAROUND for an upstream bug in DL4J 1.0.0-M2.1; not part of ND4J. Delete it once DL4J checks
 * the renamed class itself.
 *
 * <p>DL4J's {@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()} decides
 * whether the oneDNN (MKL-DNN) helpers of ConvolutionLayer, BatchNormalization, SubsamplingLayer
 * and LocalResponseNormalization may run. In M2.1 it does, by reflection:
 * <pre>
 *   Class c = DL4JClassLoading.loadClassByName("org.nd4j.nativeblas.Nd4jCpu$Environment");
 *   Object env = c.getMethod("getInstance").invoke(null);          // static, no arguments
 *   return (Boolean) c.getMethod("isUseMKLDNN").invoke(env);        // instance method
 * </pre>
 * and treats any Throwable as "oneDNN unavailable" (remembered for the life of the JVM). ND4J M2.1
 * moved its JavaCPP bindings to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}
 * and renamed the method to {@code isUseONEDNN()}, so the lookup always throws
 * ClassNotFoundException and every helper silently falls back to the slow built-in Java path
 * (about 6-10x slower for a small ResNet on CPU).
 *
 * <p>This class supplies the old name with exactly the two members looked up, delegating to the
 * new binding. The delegation is reflective so that this class compiles and loads without
 * nd4j-native (the CUDA profile); DL4J consults it only when the backend is CPU. It loads no native
 * code of its own: the binding is already loaded by the nd4j-native backend. Helpers also need the
 * system property
 * {@code org.eclipse.deeplearning4j.helpers.disable=false}: see {@link dev.pretext.nn.CpuAcceleration}.
 */
public final class Nd4jCpu {

    private Nd4jCpu() {
    }

    /** Looked up once, on first use (DL4J may ask on every batch-norm call). */
    private static final class Renamed {
        static final Object INSTANCE;
        static final java.lang.reflect.Method IS_USE_ONEDNN;

        static {
            try {
                Class<?> env = Class.forName(Environment.RENAMED, true, Nd4jCpu.class.getClassLoader());
                INSTANCE = env.getMethod("getInstance").invoke(null);
                IS_USE_ONEDNN = env.getMethod("isUseONEDNN");
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Stand-in for the pre-M2.1 {@code Nd4jCpu.Environment} binding, as reflected on by DL4J. */
    public static final class Environment {

        static final String RENAMED = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";

        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /**
         * Whether libnd4j was built with oneDNN and has it switched on, as reported by the renamed
         * binding. Throws (as the missing class did) when that binding is absent, which DL4J reads
         * as "oneDNN unavailable".
         */
        public boolean isUseMKLDNN() {
            try {
                return (Boolean) Renamed.IS_USE_ONEDNN.invoke(Renamed.INSTANCE);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot query oneDNN through " + RENAMED, e);
            }
        }
    }
}
