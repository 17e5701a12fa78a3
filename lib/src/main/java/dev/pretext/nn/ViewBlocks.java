package dev.pretext.nn;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The minibatch layout of the multi-view losses ({@link CrossViewCosineLoss}, {@link BarlowTwinsLoss},
 * {@link VicRegLoss}) and its check.
 *
 * <p>Layout: a minibatch of B images with K views each has N = K*B rows; view k of image i is row
 * {@code k*B + i}. The labels are a [N, 1] column holding the image id of each row, i.e. 0..B-1
 * repeated K times ({@link PairIds#stacked} for K = 2). B is deduced as the number of distinct ids and
 * K = N / B.
 *
 * <p>A broken batch cannot be told from a correct one inside a SameDiff graph, so the losses check
 * it on the host before every score and gradient (a [N, 1] read, negligible next to the network):
 * {@link #checkedLayer} builds DL4J's SameDiff output layer with that check in front.
 */
public final class ViewBlocks {

    /** K views of each of B images. */
    public record Layout(int views, int images) {
    }

    /** Checks the input and labels of one minibatch before the loss runs on them. */
    @FunctionalInterface
    public interface Check {
        void accept(INDArray input, INDArray labels);
    }

    private ViewBlocks() {
    }

    /**
     * The layout of {@code labels} for a minibatch of {@code rows} rows: every id must be an integer in
     * [0, 2^24) and occur the same number K &gt;= 2 of times. Rows are not required to follow the
     * stacked order (see {@link #requireStacked}).
     *
     * @throws IllegalArgumentException naming the loss, the offending row or id and the expectation
     */
    public static Layout layout(INDArray labels, long rows, String loss) {
        if (labels == null) {
            throw new IllegalArgumentException(loss + ": the minibatch has no image-id labels; expected a [N, 1]"
                    + " column with the image id of each row (view k of image i at row k*B + i, id i)");
        }
        if (labels.rank() != 2 || labels.size(1) != 1 || labels.size(0) != rows) {
            throw new IllegalArgumentException(loss + ": image-id labels must have shape [" + rows + ", 1] (one id"
                    + " per input row), got " + Arrays.toString(labels.shape()));
        }
        return layout(ids(labels), loss);
    }

    /** The id column on the host, outside any DL4J workspace. */
    private static double[] ids(INDArray labels) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return labels.castTo(DataType.DOUBLE).dup().reshape(labels.length()).toDoubleVector();
        }
    }

    /** As {@link #layout(INDArray, long, String)}, on the id column as a plain array. */
    public static Layout layout(double[] ids, String loss) {
        int n = ids.length;
        Map<Double, Integer> count = new HashMap<>();
        Map<Double, Integer> firstRow = new HashMap<>();
        for (int r = 0; r < n; r++) {
            double id = ids[r];
            if (id != Math.rint(id) || id < 0 || id >= PairIds.MAX_ID) {
                throw new IllegalArgumentException(loss + ": image id at row " + r + " is " + id
                        + "; ids must be integers in [0, " + PairIds.MAX_ID + ")");
            }
            count.merge(id, 1, Integer::sum);
            firstRow.putIfAbsent(id, r);
        }
        int images = count.size();
        if (images == 0 || n % images != 0 || n / images < 2) {
            throw new IllegalArgumentException(loss + ": a multi-view minibatch needs N = K*B rows with K >= 2 views"
                    + " of each of B images; got N = " + n + " rows with " + images + " distinct image ids: was the"
                    + " minibatch split or merged (batch size per worker different from the assembled batch)?");
        }
        int views = n / images;
        for (Map.Entry<Double, Integer> e : count.entrySet()) {
            if (e.getValue() != views) {
                throw new IllegalArgumentException(loss + ": image id " + e.getKey().longValue() + " (first at row "
                        + firstRow.get(e.getKey()) + ") occurs " + e.getValue() + " times, expected K = " + views
                        + " (N = " + n + " rows, B = " + images + " images): every image needs the same number of"
                        + " views");
            }
        }
        return new Layout(views, images);
    }

    /**
     * Checks that the rows follow the stacked layout: row {@code k*B + i} has the id of row i, for
     * every view k, so that view blocks can be cut out by position.
     */
    public static void requireStacked(double[] ids, Layout layout, String loss) {
        int b = layout.images();
        for (int k = 1; k < layout.views(); k++) {
            for (int i = 0; i < b; i++) {
                if (ids[k * b + i] != ids[i]) {
                    throw new IllegalArgumentException(loss + ": rows must be stacked by view (view k of image i at"
                            + " row k*B + i, B = " + b + "): row " + (k * b + i) + " has id " + (long) ids[k * b + i]
                            + " but row " + i + " (the same image in view 0) has id " + (long) ids[i]);
                }
            }
        }
    }

    /**
     * The check of the two-view losses (Barlow Twins, VICReg): {@link #stackedLayout} with exactly K = 2
     * views of B &gt;= 2 images (batch statistics of one image are meaningless).
     */
    public static Layout twoStackedViews(INDArray labels, long rows, String loss) {
        Layout layout = layout(labels, rows, loss);
        if (layout.views() != 2) {
            throw new IllegalArgumentException(loss + " is defined for exactly K = 2 views (rows [0, B) view a,"
                    + " [B, 2B) view b); got K = " + layout.views() + " views of B = " + layout.images()
                    + " images (N = " + rows + ")");
        }
        if (layout.images() < 2) {
            throw new IllegalArgumentException(loss + " needs B >= 2 images per minibatch (it standardises each"
                    + " feature over the batch); got B = " + layout.images());
        }
        requireStacked(ids(labels), layout, loss);
        return layout;
    }

    /**
     * What {@link SameDiffOutputLayer#instantiate} builds, with {@code check} run on the input and labels
     * before every score and gradient (forward activations are the input and are not checked).
     */
    static Layer checkedLayer(SameDiffOutputLayer layerConf, NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType, Check check) {
        CheckedOutputLayer ret = new CheckedOutputLayer(conf, networkDataType, check);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = layerConf.initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    /** DL4J's SameDiff output layer with a host-side check of the minibatch in front of the loss. */
    static final class CheckedOutputLayer extends org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer {

        private final transient Check check;

        CheckedOutputLayer(NeuralNetConfiguration conf, DataType dataType, Check check) {
            super(conf, dataType);
            this.check = check;
        }

        @Override
        public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
            check.accept(input, labels);
            return super.computeScore(fullNetRegTerm, training, workspaceMgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            check.accept(input, labels);
            return super.backpropGradient(epsilon, workspaceMgr);
        }
    }
}
