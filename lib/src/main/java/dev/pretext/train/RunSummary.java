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
 * @param bound         what bounded the run: {@code epochs} or {@code time} ({@code train.max-seconds})
 * @param schedule      the learning-rate schedule followed at the end (a budget-fitted one shows
 *                      its final estimate of the total steps)
 * @param knnTop1       the kNN monitor's last top-1 (NaN when the monitor is off or none ran)
 * @param imagesPerEpoch source images one epoch trains on (whole minibatches only)
 */
public record RunSummary(int epochsCompleted, int epochsPlanned, int chunksCompleted, int steps, double seconds,
                         double elapsedSeconds, double imagesPerS, double finalLoss, String stoppedReason,
                         String message, String lastCheckpoint, String trainer, String bound,
                         String schedule, double knnTop1, long imagesPerEpoch) {
    public static final String COMPLETED = "completed";
    public static final String TIME_BUDGET = "time budget";
    public static final String DIVERGED = "diverged";
    public static final String COLLAPSED = "collapsed";
}
