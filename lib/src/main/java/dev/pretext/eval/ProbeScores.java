package dev.pretext.eval;

import java.io.Serializable;

/** Accuracy of a classifier on an evaluation set of {@code count} rows. */
public record ProbeScores(long count, double top1, double top5) implements Serializable {
}
