package dev.pretext.eval;

import java.io.Serializable;

/** kNN result: counts, the k actually used (capped at the train size), temperature, top-1 accuracy. */
public record KnnScores(long trainCount, long testCount, int k, double temperature, double top1) implements Serializable {
}
