package dev.pretext.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

/** The driver-side step count both trainers maintain: synchronous data-parallel steps. */
final class IterationAccounting {
    private IterationAccounting() {
    }

    static void advance(ComputationGraph net, int iterationBefore, long minibatches, int workers) {
        long steps = (minibatches + workers - 1) / workers;
        net.getConfiguration().setIterationCount((int) Math.min(Integer.MAX_VALUE, iterationBefore + steps));
    }
}
