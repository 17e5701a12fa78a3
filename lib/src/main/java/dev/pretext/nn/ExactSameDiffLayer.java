package dev.pretext.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's runtime for a {@link SameDiffLayer} configuration (not an output layer), with two changes.
 *
 * <ol>
 *   <li><b>Exact gradient.</b> DL4J 1.0.0-M2.1 feeds the gradient from above into the layer's SameDiff graph
 *       through an "external errors" op, and the gradients it returns are exactly twice the true ones (the
 *       input gradient and every parameter gradient; measured against finite differences, also for a layer
 *       computing only x*w: {@code TransformerBlockTest#dl4jSameDiffLayerDoublesItsGradients}). Here the
 *       graph instead gets the scalar loss sum(out * epsilon), epsilon a placeholder holding the gradient
 *       from above, whose gradient is exactly J^T epsilon. (DL4J's SameDiff <em>output</em> layers, this
 *       project's losses, do not use that op and are not affected.)
 *   <li><b>Host-fed placeholders.</b> Subclasses may feed extra placeholders (e.g. dropout masks drawn on the
 *       host) per pass: {@link #beforeForward(boolean)} runs at the start of every forward pass, knowing
 *       whether it is training, and {@link #placeholders(boolean)} supplies the arrays for the forward and
 *       the backward pass. DL4J's layer never tells its graph whether it is training.
 * </ol>
 * The graph is built for the first input's shape past the minibatch and rebuilt when that shape changes
 * (e.g. another token count). Masks are refused.
 */
class ExactSameDiffLayer extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {

    /** Placeholder of the gradient flowing in from above in backprop (the output's shape). */
    static final String EPSILON = "epsilon";

    private long[] builtFor;

    ExactSameDiffLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** What {@code SameDiffLayer#instantiate} does, with this runtime. */
    static <L extends ExactSameDiffLayer> L wire(L layer, SameDiffLayer layerConf, NeuralNetConfiguration conf,
            int layerIndex, INDArray paramsView, boolean initializeParams) {
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(layerConf.initializer().init(conf, paramsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /** The layer's configuration. */
    SameDiffLayer definition() {
        return (SameDiffLayer) layerConf();
    }

    /** Called at the start of every forward pass (the graph is built by then). */
    protected void beforeForward(boolean training) {
    }

    /**
     * The placeholders for a forward pass ({@code backward} false) or the backward pass: the input, plus
     * whatever the subclass's graph declares.
     */
    protected Map<String, INDArray> placeholders(boolean backward) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(INPUT_KEY, input);
        return ph;
    }

    @Override
    protected void doInit() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SameDiffLayer conf = definition();
            sameDiff = SameDiff.create();
            sameDiff.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
            long[] shape = input.shape().clone();
            shape[0] = -1;
            SDVariable in = sameDiff.placeHolder(INPUT_KEY, dataType, shape);
            Map<String, SDVariable> vars = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : conf.getLayerParams().getParamShapes().entrySet()) {
                vars.put(e.getKey(), sameDiff.var(e.getKey(), dataType, e.getValue()));
            }
            outputVar = conf.defineLayer(sameDiff, in, vars, null);
            outputKey = outputVar.name();
            for (Map.Entry<String, INDArray> e : paramTable.entrySet()) {
                sameDiff.associateArrayWithVariable(e.getValue(), sameDiff.getVariable(e.getKey()));
            }
            SDVariable epsilon = sameDiff.placeHolder(EPSILON, dataType, (long[]) null);   // the output's shape
            sameDiff.setLossVariables(outputVar.mul(epsilon).sum());
        }
    }

    /** Validates the input and (re)builds the graph for its shape. */
    private void prepare() {
        definition().validateInput(input);
        if (maskArray != null) {
            throw new IllegalArgumentException(definition().getClass().getSimpleName()
                    + " does not support masks (variable-length sequences)");
        }
        long[] shape = Arrays.copyOfRange(input.shape(), 1, input.rank());
        if (sameDiff == null || !Arrays.equals(shape, builtFor)) {
            sameDiff = null;
            doInit();
            builtFor = shape;
        }
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        prepare();
        beforeForward(training);
        Map<String, INDArray> ph = placeholders(false);
        String wsWorking = workspaceMgr.getWorkspaceName(ArrayType.FF_WORKING_MEM);
        String wsOutput = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS);
        boolean scopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATIONS);
        if (!scopedOut && wsOutput == null) {
            throw new IllegalStateException("Activations must have a workspace or must be scoped out");
        }
        session(sameDiff).setMmgr(new DL4JSameDiffMemoryMgr(wsWorking, wsOutput,
                workspaceMgr.getConfiguration(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATIONS)));
        INDArray result = sameDiff.output(ph, outputKey).get(outputKey);
        if (!scopedOut) {
            MemoryWorkspace parent = result.data().getParentWorkspace();
            if (parent == null || !wsOutput.equals(parent.getId())) {
                result = workspaceMgr.dup(ArrayType.ACTIVATIONS, result);
            }
        } else if (result.isAttached()) {
            result = result.detach();
        }
        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        return result;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        prepare();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (!sameDiff.hasGradientFunction()) {
                sameDiff.createGradFunction(INPUT_KEY);
            }
        }
        String wsWorking = workspaceMgr.getWorkspaceName(ArrayType.BP_WORKING_MEM);
        String wsGrad = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATION_GRAD);
        if (!workspaceMgr.isScopedOut(ArrayType.ACTIVATION_GRAD) && wsGrad == null) {
            throw new IllegalStateException("Activation gradients must have a workspace or be scoped out");
        }
        session(sameDiff.getFunction("grad")).setMmgr(new DL4JSameDiffMemoryMgr(wsWorking, wsGrad,
                workspaceMgr.getConfiguration(ArrayType.BP_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATION_GRAD)));

        Map<String, INDArray> ph = placeholders(true);
        ph.put(EPSILON, epsilon);
        List<String> wanted = new ArrayList<>(paramTable.size() + 1);
        wanted.add(INPUT_KEY);
        wanted.addAll(paramTable.keySet());
        Map<String, INDArray> grads = sameDiff.calculateGradients(ph, wanted);
        Gradient g = new DefaultGradient();
        for (String s : paramTable.keySet()) {
            INDArray grad = grads.get(s);
            if (gradTable != null) {                       // null outside a network's gradient view
                grad = gradTable.get(s).assign(grad);
            }
            g.gradientForVariable().put(s, grad);
        }
        INDArray dLdIn = grads.get(INPUT_KEY);
        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        return new Pair<>(g, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dLdIn));
    }

    private static InferenceSession session(SameDiff sd) {
        long id = Thread.currentThread().getId();
        return sd.getSessions().computeIfAbsent(id, k -> SameDiff.getInferenceFactory().create(sd));
    }
}
