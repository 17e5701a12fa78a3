package dev.pretext.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A cheap measure of the encoder evaluated on the driver after every chunk (for example a kNN
 * top-1 on a fixed labelled subset): written to {@code metrics.jsonl} under {@link #metric()} and
 * shown on the progress line, so a user sees during the run whether it is learning.
 */
public interface EncoderMonitor {
    /** The metrics column, e.g. {@code knn_top1}. */
    String metric();

    /** Evaluates the network as it is now; must not change it. */
    double evaluate(ComputationGraph net);
}
