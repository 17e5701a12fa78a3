package dev.pretext.train;

import dev.pretext.UserError;

/**
 * The run stopped because training went wrong (a non-finite loss, a collapsed embedding). The last
 * good checkpoint is kept; {@link #summary()} says what was done.
 */
public class TrainingStoppedException extends UserError {
    private final transient RunSummary summary;

    public TrainingStoppedException(String message, RunSummary summary) {
        super(message);
        this.summary = summary;
    }

    public RunSummary summary() {
        return summary;
    }
}
