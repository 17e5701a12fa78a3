package dev.pretext.train;

/**
 * How many more chunks a time budget allows, and the step count the learning-rate schedule should
 * aim at: a pure function of what the run has measured so far.
 *
 * <p>After each chunk the loop knows the wall-clock seconds the last chunk took (training plus the
 * monitor, checkpoint and progress work around it) and the steps it made. The chunks still to run
 * are the remaining budget over that duration, rounded down unless the budget covers at least
 * {@value #LAST_CHUNK_SHARE} of one more chunk (a run may overrun its budget by at most that share
 * of a chunk); the schedule's total is the steps done plus those chunks' steps, capped by the
 * epoch-bounded total. Measured throughput that changes (a slower machine, a faster second epoch
 * once the images are cached) changes the next plan.
 *
 * @param chunksLeft chunks to run from here (0: stop now)
 * @param totalSteps the step count at which the schedule should reach its floor
 */
public record BudgetPlan(long chunksLeft, long totalSteps) {
    /** Share of a chunk that the remaining budget must cover for that chunk to be run. */
    public static final double LAST_CHUNK_SHARE = 0.8;

    /**
     * @param budgetSeconds     the budget of this invocation
     * @param elapsedSeconds    seconds used so far
     * @param stepsDone         steps made so far (the network's iteration count)
     * @param chunkSeconds      wall-clock seconds per chunk, as last measured (> 0)
     * @param stepsPerChunk     steps per chunk, as last measured (> 0)
     * @param epochBoundedTotal the total the epochs allow (the run never plans beyond it)
     */
    public static BudgetPlan of(double budgetSeconds, double elapsedSeconds, long stepsDone, double chunkSeconds,
                                double stepsPerChunk, long epochBoundedTotal) {
        if (!(chunkSeconds > 0) || !(stepsPerChunk > 0)) {
            throw new IllegalArgumentException("chunk seconds and steps must be > 0, got " + chunkSeconds + ", "
                    + stepsPerChunk);
        }
        double remaining = Math.max(0, budgetSeconds - elapsedSeconds);
        long chunks = (long) Math.floor(remaining / chunkSeconds + (1 - LAST_CHUNK_SHARE));
        long total = stepsDone + Math.round(chunks * stepsPerChunk);
        if (total >= epochBoundedTotal) {
            return new BudgetPlan(chunks, Math.max(stepsDone, epochBoundedTotal));
        }
        return new BudgetPlan(chunks, total);
    }
}
