package dev.pretext.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

class CpuAccelerationTest {

    @AfterEach
    void restore() {
        CpuAcceleration.enable();
    }

    static ComputationGraphConfiguration simclrLike(String backbone) {
        GraphBuilder g = Backbones.imageGraph(Backbones.defaults(3, new Sgd(0.1), DataType.FLOAT), 16, 16);
        int d = Backbones.get(backbone).addTo(g, Backbones.INPUT, 0.125);
        String z = Projector.addTo(g, Backbones.EMBEDDING, d, d, 16);
        g.addLayer("loss", new NtXentLoss(0.5), z);
        return g.setOutputs("loss").build();
    }

    @Test
    void oneDnnIsReportedInUseOnCpu() {
        CpuAcceleration.Status s = CpuAcceleration.enable();
        assertEquals("CPU", s.backend().toUpperCase());
        assertTrue(s.helpersEnabled());
        assertTrue(s.oneDnnAvailable(), "oneDNN check failed: is org.nd4j.nativeblas.Nd4jCpu on the classpath?");
        assertTrue(s.oneDnnInUse(), s.describe());
        assertTrue(s.describe().contains("in use"), s.describe());
    }

    @Test
    void workaroundDelegatesToRenamedBinding() {
        assertTrue(org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN());
        assertEquals(org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN(),
                org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN());
    }

    @Test
    void disablingHelpersIsReported() {
        System.setProperty(CpuAcceleration.HELPERS_DISABLE_PROPERTY, "true");
        CpuAcceleration.Status s = CpuAcceleration.status();
        assertTrue(!s.oneDnnInUse() && s.describe().contains("NOT in use"), s.describe());
    }

    @Test
    void resnetHelpersRunAndAgreeWithBuiltInPath() throws Exception {
        compareWithBuiltIn("resnet18-cifar");
    }

    @Test
    void conv4HelpersRunAndAgreeWithBuiltInPath() throws Exception {
        compareWithBuiltIn("conv4");
    }

    private void compareWithBuiltIn(String backbone) throws Exception {
        CpuAcceleration.enable();
        ComputationGraph fast = new ComputationGraph(simclrLike(backbone));
        fast.init();
        System.setProperty(CpuAcceleration.HELPERS_DISABLE_PROPERTY, "true");
        ComputationGraph plain = new ComputationGraph(simclrLike(backbone));
        plain.init();
        CpuAcceleration.enable();
        plain.setParams(fast.params().dup());

        List<AtomicInteger> used = new ArrayList<>();
        int conv = 0, bn = 0, pool = 0;
        for (Layer l : fast.getLayers()) {
            if (l instanceof ConvolutionLayer) {
                assertInstanceOf(MKLDNNConvHelper.class, l.getHelper(), l.getConfig().getLayerName());
                used.add(install(l, ConvolutionLayer.class, new CountingConvHelper()));
                conv++;
            } else if (l instanceof BatchNormalization && !(l instanceof FusedBatchNormLayer)) {
                assertInstanceOf(MKLDNNBatchNormHelper.class, l.getHelper(), l.getConfig().getLayerName());
                used.add(countNonNullCalls(l, BatchNormalization.class));
                bn++;
            } else if (l instanceof SubsamplingLayer) {
                assertInstanceOf(MKLDNNSubsamplingHelper.class, l.getHelper(), l.getConfig().getLayerName());
                used.add(install(l, SubsamplingLayer.class, new CountingPoolHelper()));
                pool++;
            }
        }
        assertTrue(conv > 0 && bn > 0, backbone);
        assertTrue(backbone.equals("resnet18-cifar") || pool == 3, "conv4 has 3 pooling layers");
        for (Layer l : plain.getLayers()) {
            assertNull(l.getHelper(), "helpers disabled: " + l.getConfig().getLayerName());
        }

        Nd4j.getRandom().setSeed(17);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16).subi(0.5);
        INDArray y = Nd4j.create(new float[] {0, 1, 2, 3, 0, 1, 2, 3}, new long[] {8, 1});

        // training-mode forward + backward (batch statistics in BN)
        fast.setInputs(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        plain.setInputs(x);
        plain.setLabels(y);
        plain.computeGradientAndScore();
        assertEquals(plain.score(), fast.score(), 1e-5 * Math.abs(plain.score()), "score");
        assertClose(plain.gradient().gradient(), fast.gradient().gradient(), "gradients");

        // inference forward of the encoder (running statistics in BN)
        INDArray ef = fast.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0];
        INDArray ep = plain.output(List.of(Backbones.EMBEDDING), false, new INDArray[] {x}, null)[0];
        assertClose(ep, ef, "embedding");

        for (int i = 0; i < used.size(); i++) {
            assertTrue(used.get(i).get() > 0, "helper " + i + " never produced a result");
        }
        StringBuilder fails = new StringBuilder();
        for (Layer l : fast.getLayers()) {
            if (l.getHelper() != null && helperCountFail(l) != 0) {
                fails.append(l.getConfig().getLayerName()).append(' ');
            }
        }
        assertEquals("", fails.toString(), "layers that fell back to the built-in path");
    }

    /**
     * Float results of two summation orders: relative L2 error within 1e-5, and no single element
     * off by more than 1e-4 of the largest magnitude.
     */
    private static void assertClose(INDArray expected, INDArray actual, String what) {
        INDArray e = expected.castTo(DataType.DOUBLE);
        INDArray d = e.sub(actual.castTo(DataType.DOUBLE));
        double relL2 = d.norm2Number().doubleValue() / Math.max(e.norm2Number().doubleValue(), 1e-12);
        double relMax = d.amaxNumber().doubleValue() / Math.max(e.amaxNumber().doubleValue(), 1e-12);
        System.out.printf("oneDNN vs built-in, %s: relative L2 %.3g, max %.3g%n", what, relL2, relMax);
        assertTrue(relL2 <= 1e-5 && relMax <= 1e-4, what + ": relative L2 error " + relL2 + ", max " + relMax);
    }

    /** Counts results; a subclass because ConvolutionLayer tests {@code helper instanceof MKLDNNConvHelper}. */
    static final class CountingConvHelper extends MKLDNNConvHelper {
        final AtomicInteger results = new AtomicInteger();

        CountingConvHelper() {
            super(DataType.FLOAT);
        }

        @Override
        public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides,
                int[] pad, org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode mode,
                org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo fwdAlgo,
                org.deeplearning4j.nn.conf.ConvolutionMode convolutionMode, int[] dilation,
                org.deeplearning4j.nn.conf.CNN2DFormat format, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr) {
            INDArray r = super.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode,
                    dilation, format, mgr);
            if (r != null) {
                results.incrementAndGet();
            }
            return r;
        }

        @Override
        public org.nd4j.common.primitives.Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> backpropGradient(
                INDArray input, INDArray weights, INDArray bias, INDArray delta, int[] kernel, int[] strides,
                int[] pad, INDArray biasGradView, INDArray weightGradView,
                org.nd4j.linalg.activations.IActivation afn,
                org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode mode,
                org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdFilterAlgo bwdFilterAlgo,
                org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdDataAlgo bwdDataAlgo,
                org.deeplearning4j.nn.conf.ConvolutionMode convolutionMode, int[] dilation,
                org.deeplearning4j.nn.conf.CNN2DFormat format, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr) {
            var r = super.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView,
                    weightGradView, afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, mgr);
            if (r != null) {
                results.incrementAndGet();
            }
            return r;
        }
    }

    /** As {@link CountingConvHelper}, for SubsamplingLayer's {@code instanceof MKLDNNSubsamplingHelper}. */
    static final class CountingPoolHelper extends MKLDNNSubsamplingHelper {
        final AtomicInteger results = new AtomicInteger();

        CountingPoolHelper() {
            super(DataType.FLOAT);
        }

        @Override
        public INDArray activate(INDArray input, boolean training, int[] kernel, int[] strides, int[] pad,
                org.deeplearning4j.nn.conf.layers.PoolingType poolingType,
                org.deeplearning4j.nn.conf.ConvolutionMode convolutionMode, int[] dilation,
                org.deeplearning4j.nn.conf.CNN2DFormat format, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr) {
            INDArray r = super.activate(input, training, kernel, strides, pad, poolingType, convolutionMode,
                    dilation, format, mgr);
            if (r != null) {
                results.incrementAndGet();
            }
            return r;
        }

        @Override
        public org.nd4j.common.primitives.Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> backpropGradient(
                INDArray input, INDArray epsilon, int[] kernel, int[] strides, int[] pad,
                org.deeplearning4j.nn.conf.layers.PoolingType poolingType,
                org.deeplearning4j.nn.conf.ConvolutionMode convolutionMode, int[] dilation,
                org.deeplearning4j.nn.conf.CNN2DFormat format, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr mgr) {
            var r = super.backpropGradient(input, epsilon, kernel, strides, pad, poolingType, convolutionMode,
                    dilation, format, mgr);
            if (r != null) {
                results.incrementAndGet();
            }
            return r;
        }
    }

    private static AtomicInteger install(Layer layer, Class<?> owner, Object helper) throws Exception {
        Field f = owner.getDeclaredField("helper");
        f.setAccessible(true);
        f.set(layer, helper);
        return helper instanceof CountingConvHelper c ? c.results : ((CountingPoolHelper) helper).results;
    }

    /** Replaces the layer's helper by a proxy counting its calls that returned a result (null = fell back). */
    private static AtomicInteger countNonNullCalls(Layer layer, Class<?> owner) throws Exception {
        Field f = owner.getDeclaredField("helper");
        f.setAccessible(true);
        Object real = f.get(layer);
        AtomicInteger count = new AtomicInteger();
        Object proxy = Proxy.newProxyInstance(owner.getClassLoader(), new Class<?>[] {f.getType()}, (p, m, args) -> {
            try {
                Object r = m.invoke(real, args);
                if (r != null && (m.getName().equals("preOutput") || m.getName().equals("activate")
                        || m.getName().equals("backpropGradient"))) {
                    count.incrementAndGet();
                }
                return r;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        f.set(layer, proxy);
        return count;
    }

    private static int helperCountFail(Layer layer) throws Exception {
        for (Class<?> c = layer.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("helperCountFail");
                f.setAccessible(true);
                return f.getInt(layer);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new AssertionError("no helperCountFail in " + layer.getClass());
    }
}
