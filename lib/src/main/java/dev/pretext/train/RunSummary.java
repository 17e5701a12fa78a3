package dev.pretext.train;

/**
 * How a {@link TrainingRun} ended, for the report (written as {@code summary.json}, snake_case).
 *
 * @param stoppedReason {@code completed}, {@code time budget}, {@code diverged} or {@code collapsed}
 * @param seconds       wall-clock seconds of this invocation
 * @param elapsedSeconds training seconds summed over all invocations of the run (resumes included)
 * @param imagesPerS    source images per second of fit time in this invocation
 * @param finalLoss     loss on the monitor batch after the last chunk (NaN when none ran)
 * @param lastCheckpoint directory name of the newest complete checkpoint, or null
 */
public record RunSummary(int epochsCompleted, int epochsPlanned, int chunksCompleted, int steps, double seconds,
                         double elapsedSeconds, double imagesPerS, double finalLoss, String stoppedReason,
                         String message, String lastCheckpoint, String trainer) {
    public static final String COMPLETED = "completed";
    public static final String TIME_BUDGET = "time budget";
    public static final String DIVERGED = "diverged";
    public static final String COLLAPSED = "collapsed";
}
