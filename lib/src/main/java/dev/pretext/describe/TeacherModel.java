package dev.pretext.describe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.nn.Encoder;
import dev.pretext.nn.Backbones;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A DL4J model restored from a {@link ModelSerializer} zip, either a {@link ComputationGraph} (a
 * Pretext checkpoint, or any graph) or a {@link MultiLayerNetwork}: which one is read from the
 * zip's {@code configuration.json} (a graph has {@code vertices}, a layer stack {@code confs}).
 *
 * <p>Not thread-safe (DL4J networks are not): one instance per task ({@link TeacherModelPool}).
 *
 * <p><b>Default layer</b> when none is named: {@link Backbones#EMBEDDING} if the model has it (every
 * Pretext encoder); otherwise the features that feed the model's last layer (for a classifier, its
 * penultimate activations): for a graph, the one vertex feeding its single output, for a layer stack
 * the output of its second-to-last layer. A model whose output is fed by the image itself (or a
 * one-layer stack) gives its output.
 *
 * <p><b>Input</b>: NCHW [N, 3, H, W], except for a model whose first layer is a dense or output
 * layer with no input preprocessor (built without a convolutional input type): it gets each image
 * flattened in CHW order, [N, 3*H*W].
 */
public final class TeacherModel {
    public static final String GRAPH = "ComputationGraph";
    public static final String LAYERS = "MultiLayerNetwork";
    private static final String CONFIGURATION = "configuration.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final ComputationGraph graph;
    private final MultiLayerNetwork layers;

    private TeacherModel(String source, ComputationGraph graph, MultiLayerNetwork layers) {
        this.source = source;
        this.graph = graph;
        this.layers = layers;
    }

    /** Wraps a graph in memory (tests, or a caller that already holds the network). */
    public static TeacherModel of(ComputationGraph graph) {
        return new TeacherModel("(in memory)", graph, null);
    }

    /** Wraps a layer stack in memory. */
    public static TeacherModel of(MultiLayerNetwork net) {
        return new TeacherModel("(in memory)", null, net);
    }

    /**
     * Restores the model zip at {@code file} (any Hadoop file system; a remote file is first copied
     * to a local temporary file, which DL4J's restore needs anyway), without its updater state.
     *
     * @throws UserError when the file is missing or not a DL4J model zip
     */
    public static TeacherModel read(Configuration conf, String file) {
        Path p = new Path(file);
        File local = null;
        boolean temporary = false;
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.isFile(p)) {
                throw new UserError("teacher model " + file + " does not exist or is not a file");
            }
            if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
                local = new File(fs.makeQualified(p).toUri());
            } else {
                local = Files.createTempFile("pretext-teacher-", ".zip").toFile();
                temporary = true;
                try (InputStream in = fs.open(p)) {
                    Files.copy(in, local.toPath(), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            String kind = kind(local, file);
            if (GRAPH.equals(kind)) {
                return new TeacherModel(file, ModelSerializer.restoreComputationGraph(local, false), null);
            }
            return new TeacherModel(file, null, ModelSerializer.restoreMultiLayerNetwork(local, false));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read teacher model " + file, e);
        } catch (UserError e) {
            throw e;
        } catch (RuntimeException e) {
            // DL4J reports a config it cannot deserialise (e.g. a layer class not on the classpath) this way
            throw new UserError("teacher model " + file + " cannot be restored: " + e, e);
        } finally {
            if (temporary && local != null && !local.delete()) {
                local.deleteOnExit();
            }
        }
    }

    /** {@link #GRAPH} or {@link #LAYERS}, from the zip's configuration JSON. */
    static String kind(File zip, String name) {
        JsonNode root;
        try (ZipFile z = new ZipFile(zip)) {
            ZipEntry e = z.getEntry(CONFIGURATION);
            if (e == null) {
                throw new UserError("teacher model " + name + " is a zip without " + CONFIGURATION
                        + ": not a DL4J model saved with ModelSerializer");
            }
            try (InputStream in = z.getInputStream(e)) {
                root = JSON.readTree(in);
            }
        } catch (java.util.zip.ZipException e) {
            throw new UserError("teacher model " + name + " is not a zip file (" + e.getMessage()
                    + "); expected a DL4J model zip saved with ModelSerializer", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read teacher model " + name, e);
        }
        if (root != null && root.has("vertices")) {
            return GRAPH;
        }
        if (root != null && root.has("confs")) {
            return LAYERS;
        }
        throw new UserError("teacher model " + name + ": " + CONFIGURATION + " describes neither a ComputationGraph "
                + "(vertices) nor a MultiLayerNetwork (confs)");
    }

    /** {@link #GRAPH} or {@link #LAYERS}. */
    public String kind() {
        return graph != null ? GRAPH : LAYERS;
    }

    /** Vertex names of a graph, layer names of a stack (whose layers may also be named by index). */
    public List<String> layerNames() {
        if (graph != null) {
            return new ArrayList<>(graph.getConfiguration().getVertices().keySet());
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < layers.getnLayers(); i++) {
            out.add(layerName(i));
        }
        return out;
    }

    private String layerName(int i) {
        String n = layers.getLayerWiseConfigurations().getConf(i).getLayer().getLayerName();
        return n == null ? Integer.toString(i) : n;
    }

    /** The layer used when none is named (see the class comment). */
    public String defaultLayer() {
        if (graph != null) {
            ComputationGraphConfiguration c = graph.getConfiguration();
            if (c.getVertices().containsKey(Backbones.EMBEDDING)) {
                return Backbones.EMBEDDING;
            }
            List<String> outputs = c.getNetworkOutputs();
            String out = outputs.get(outputs.size() - 1);
            List<String> in = c.getVertexInputs().get(out);
            if (in != null && in.size() == 1 && !c.getNetworkInputs().contains(in.get(0))) {
                return in.get(0);
            }
            return out;
        }
        int n = layers.getnLayers();
        for (int i = 0; i < n; i++) {
            if (Backbones.EMBEDDING.equals(layerName(i))) {
                return Backbones.EMBEDDING;
            }
        }
        return layerName(Math.max(0, n - 2));
    }

    /**
     * The canonical name of {@code layer} (null = {@link #defaultLayer}); for a layer stack an index
     * is accepted too and gives that layer's name.
     *
     * @throws UserError naming the model and listing its layers when there is no such layer
     */
    public String resolveLayer(String layer) {
        if (layer == null || layer.isEmpty()) {
            return defaultLayer();
        }
        if (graph != null) {
            if (graph.getConfiguration().getVertices().containsKey(layer)) {
                return layer;
            }
        } else {
            List<String> names = layerNames();
            if (names.contains(layer)) {
                return layer;
            }
            if (layer.matches("\\d+") && Integer.parseInt(layer) < names.size()) {
                return names.get(Integer.parseInt(layer));
            }
        }
        throw new UserError("teacher model " + source + " (" + kind() + ") has no layer '" + layer + "'; layers: "
                + layerNames() + (graph == null ? " (or an index 0.." + (layers.getnLayers() - 1) + ")" : ""));
    }

    /** True when the model takes images flattened to [N, 3*H*W] rather than NCHW (see the class comment). */
    public boolean takesFlatInput() {
        if (graph != null) {
            ComputationGraphConfiguration c = graph.getConfiguration();
            if (c.getNetworkInputs().size() != 1) {
                throw new UserError("teacher model " + source + " has " + c.getNetworkInputs().size()
                        + " inputs " + c.getNetworkInputs() + "; a teacher takes exactly one (the image)");
            }
            String input = c.getNetworkInputs().get(0);
            boolean any = false;
            for (Map.Entry<String, List<String>> e : c.getVertexInputs().entrySet()) {
                if (!e.getValue().contains(input)) {
                    continue;
                }
                any = true;
                GraphVertex v = c.getVertices().get(e.getKey());
                if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null
                        || !flatLayer(lv.getLayerConf().getLayer())) {
                    return false;
                }
            }
            return any;
        }
        MultiLayerConfiguration c = layers.getLayerWiseConfigurations();
        InputPreProcessor pre = c.getInputPreProcess(0);
        return pre == null && flatLayer(c.getConf(0).getLayer());
    }

    private static boolean flatLayer(Layer l) {
        return l instanceof DenseLayer || l instanceof BaseOutputLayer;
    }

    /** nIn of the first layer of a flat-input model (for a clear size error), or -1 when unknown. */
    long flatInputSize() {
        Layer l;
        if (graph != null) {
            ComputationGraphConfiguration c = graph.getConfiguration();
            String input = c.getNetworkInputs().get(0);
            l = c.getVertexInputs().entrySet().stream().filter(e -> e.getValue().contains(input))
                    .map(e -> ((LayerVertex) c.getVertices().get(e.getKey())).getLayerConf().getLayer())
                    .findFirst().orElse(null);
        } else {
            l = layers.getLayerWiseConfigurations().getConf(0).getLayer();
        }
        return l instanceof FeedForwardLayer f ? f.getNIn() : -1;
    }

    /**
     * Activations of {@code layer} (a name from {@link #resolveLayer}) for NCHW images, in inference
     * mode, at most {@code batchSize} images per forward pass, each flattened in C order: [N, D] FLOAT.
     */
    public INDArray embed(String layer, INDArray nchw, int batchSize) {
        INDArray x = nchw;
        DataType netType = graph != null ? graph.params().dataType() : layers.params().dataType();
        if (x.dataType() != netType) {
            x = x.castTo(netType);
        }
        if (takesFlatInput()) {
            x = x.reshape('c', x.size(0), x.length() / x.size(0));
        }
        INDArray act;
        if (graph != null) {
            act = Encoder.embed(graph, layer, x, batchSize);
        } else {
            act = stackActivations(layerNames().indexOf(layer), x, batchSize);
        }
        long n = nchw.size(0);
        return act.castTo(DataType.FLOAT).reshape('c', n, act.length() / n);
    }

    private INDArray stackActivations(int index, INDArray x, int batchSize) {
        long n = x.size(0);
        List<INDArray> parts = new ArrayList<>();
        for (long from = 0; from < n; from += batchSize) {
            long to = Math.min(n, from + batchSize);
            org.nd4j.linalg.indexing.INDArrayIndex[] idx = new org.nd4j.linalg.indexing.INDArrayIndex[x.rank()];
            idx[0] = org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
            for (int d = 1; d < idx.length; d++) {
                idx[d] = org.nd4j.linalg.indexing.NDArrayIndex.all();
            }
            INDArray chunk = x.get(idx);
            // the list holds the input first, then each layer's output
            parts.add(layers.feedForwardToLayer(index, chunk, false).get(index + 1));
        }
        return parts.size() == 1 ? parts.get(0) : org.nd4j.linalg.factory.Nd4j.concat(0, parts.toArray(new INDArray[0]));
    }
}
