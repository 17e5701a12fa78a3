package dev.pretext.nn;

import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The encoder inside a trained graph: its size, and its features for images. */
public final class Encoder {

    private Encoder() {
    }

    /** Trainable backbone parameters (up to {@link Backbones#EMBEDDING}; BN running statistics excluded). */
    public static long backboneParams(ComputationGraph graph) {
        return ParamCounts.trainableUpTo(graph, Backbones.EMBEDDING);
    }

    /**
     * Activations of {@code layer} for NCHW {@code images} in inference mode (BN running statistics,
     * no state changed), computing only the vertices it depends on. Processes at most
     * {@code batchSize} images at a time; returns a detached [N, ...] array.
     */
    public static INDArray embed(ComputationGraph graph, String layer, INDArray images, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (graph.getVertex(layer) == null) {
            throw new IllegalArgumentException("graph has no layer '" + layer + "'");
        }
        long n = images.size(0);
        if (n <= batchSize) {
            return run(graph, layer, images);
        }
        INDArray[] parts = new INDArray[(int) ((n + batchSize - 1) / batchSize)];
        for (int i = 0; i < parts.length; i++) {
            long from = (long) i * batchSize;
            org.nd4j.linalg.indexing.INDArrayIndex[] idx = new org.nd4j.linalg.indexing.INDArrayIndex[images.rank()];
            idx[0] = NDArrayIndex.interval(from, Math.min(n, from + batchSize));
            for (int d = 1; d < idx.length; d++) {
                idx[d] = NDArrayIndex.all();
            }
            INDArray chunk = images.get(idx);
            parts[i] = run(graph, layer, chunk);
        }
        return Nd4j.concat(0, parts);
    }

    /** {@link #embed(ComputationGraph, String, INDArray, int)} at {@link Backbones#EMBEDDING}, 256 at a time. */
    public static INDArray embed(ComputationGraph graph, INDArray images) {
        return embed(graph, Backbones.EMBEDDING, images, 256);
    }

    private static INDArray run(ComputationGraph graph, String layer, INDArray images) {
        return graph.output(List.of(layer), false, new INDArray[] {images}, null)[0];
    }
}
