package dev.pretext.nn;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * A convolutional encoder that adds itself to a DL4J graph: it reads NCHW images [N, 3, H, W] from
 * a given vertex and ends in a global-average-pooled feature vector [N, featureDim] in the vertex
 * named {@link Backbones#EMBEDDING}. Obtain instances from {@link Backbones#get(String)}.
 */
public interface Backbone {

    /** The name users select it by, e.g. {@code resnet18-cifar}. */
    String name();

    /** Feature dimension of the {@link Backbones#EMBEDDING} vector at this width multiplier. */
    int featureDim(double width);

    /**
     * Adds the layers to {@code graph}, reading from {@code input}; returns {@link #featureDim(double)}.
     * Layer names are fixed, so one graph holds at most one backbone.
     */
    int addTo(GraphBuilder graph, String input, double width);

    /** The vertex ending each stage, in order ({@code stage1} is the first): where stage probes read. */
    java.util.List<String> stages();
}
