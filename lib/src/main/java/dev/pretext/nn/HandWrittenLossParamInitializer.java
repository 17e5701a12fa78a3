package dev.pretext.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Lays the state arrays of a {@link HandWrittenLoss} out in the layer's flat parameter view, in the order
 * of {@link HandWrittenLoss#stateShapes()}, each reshaped in C order (a view, so in-place writes reach the
 * network's flat parameters). None of them is a weight or a bias.
 */
public final class HandWrittenLossParamInitializer implements ParamInitializer {

    public static final HandWrittenLossParamInitializer INSTANCE = new HandWrittenLossParamInitializer();

    private HandWrittenLossParamInitializer() {
    }

    private static HandWrittenLoss loss(Layer layer) {
        if (!(layer instanceof HandWrittenLoss l)) {
            throw new IllegalArgumentException("Not a HandWrittenLoss layer: " + layer);
        }
        return l;
    }

    static long length(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        long n = 0;
        for (long[] shape : loss(layer).stateShapes().values()) {
            n += length(shape);
        }
        return n;
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return new ArrayList<>(loss(layer).stateShapes().keySet());
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return List.of();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return List.of();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return false;
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return false;
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        HandWrittenLoss layer = loss(conf.getLayer());
        Map<String, INDArray> table = views(layer, paramsView);
        if (initializeParams) {
            layer.initState(table);
        }
        for (String key : table.keySet()) {
            conf.addVariable(key);
        }
        return table;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return views(loss(conf.getLayer()), gradientView);
    }

    private static Map<String, INDArray> views(HandWrittenLoss layer, INDArray flat) {
        long expected = 0;
        for (long[] shape : layer.stateShapes().values()) {
            expected += length(shape);
        }
        if (flat.length() != expected) {
            throw new IllegalArgumentException("Layer " + layer.getLayerName() + ": expected a parameter view of length "
                    + expected + ", got " + flat.length());
        }
        INDArray vector = flat.reshape(flat.length());
        Map<String, INDArray> table = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, long[]> e : layer.stateShapes().entrySet()) {
            long n = length(e.getValue());
            table.put(e.getKey(), vector.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', e.getValue()));
            offset += n;
        }
        return table;
    }
}
