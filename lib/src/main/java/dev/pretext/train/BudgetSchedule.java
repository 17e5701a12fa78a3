package dev.pretext.train;

import dev.pretext.UserError;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Learning rate of a run bounded by a wall-clock budget: linear warm-up over the first
 * {@code warmupFraction} of the run's <em>progress</em>, then half a cosine down to {@code floor},
 * where progress runs from 0 at the first step to 1 at {@code totalSteps}, the step count the
 * budget is expected to allow.
 *
 * <p>That count is an estimate, corrected as the run goes ({@link #refit}): the new schedule is
 * anchored at the current step with the progress already made, and progress then runs linearly
 * from there to 1 at the new total. The learning rate is therefore continuous at every
 * correction, and the schedule always reaches its peak and its floor inside the planned steps,
 * whatever the first estimate was. With {@code anchorStep = 0, anchorProgress = 0} it is exactly
 * {@link WarmupCosineSchedule} with {@code warmup = warmupFraction * totalSteps}.
 *
 * <p>Serialised like DL4J's own schedules (shaded Jackson, final fields, a {@link JsonCreator}),
 * so it travels inside the network configuration to the workers and into checkpoints.
 */
public final class BudgetSchedule implements ISchedule {
    private final double warmupFraction;
    private final double peak;
    private final double floor;
    private final long totalSteps;
    private final long anchorStep;
    private final double anchorProgress;

    @JsonCreator
    public BudgetSchedule(@JsonProperty("warmupFraction") double warmupFraction,
                          @JsonProperty("peak") double peak,
                          @JsonProperty("floor") double floor,
                          @JsonProperty("totalSteps") long totalSteps,
                          @JsonProperty("anchorStep") long anchorStep,
                          @JsonProperty("anchorProgress") double anchorProgress) {
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new UserError("learning-rate schedule: warm-up fraction must be in [0, 1), got " + warmupFraction);
        }
        if (!(peak > 0) || Double.isInfinite(peak)) {
            throw new UserError("learning-rate schedule: peak learning rate must be a finite number > 0, got " + peak);
        }
        if (!(floor >= 0) || floor > peak) {
            throw new UserError("learning-rate schedule: floor must be in [0, peak=" + peak + "], got " + floor);
        }
        if (anchorStep < 0 || totalSteps <= anchorStep) {
            throw new UserError("learning-rate schedule: total steps (" + totalSteps
                    + ") must exceed the anchor step (" + anchorStep + ") and both be >= 0");
        }
        if (!(anchorProgress >= 0 && anchorProgress <= 1)) {
            throw new UserError("learning-rate schedule: anchor progress must be in [0, 1], got " + anchorProgress);
        }
        this.warmupFraction = warmupFraction;
        this.peak = peak;
        this.floor = floor;
        this.totalSteps = totalSteps;
        this.anchorStep = anchorStep;
        this.anchorProgress = anchorProgress;
    }

    /** A fresh schedule over an estimated {@code totalSteps}. */
    public static BudgetSchedule start(double warmupFraction, double peak, double floor, long totalSteps) {
        return new BudgetSchedule(warmupFraction, peak, floor, Math.max(1, totalSteps), 0, 0.0);
    }

    /** Progress in [0, 1] at the start of step {@code step} (0-based). */
    public double progress(long step) {
        if (step <= anchorStep) {
            return anchorStep == 0 ? 0.0 : anchorProgress * Math.max(0, step) / anchorStep;
        }
        double p = anchorProgress + (1 - anchorProgress) * (step - anchorStep) / (double) (totalSteps - anchorStep);
        return Math.min(1.0, p);
    }

    /** The learning rate as a function of progress alone. */
    public double valueAtProgress(double warmupProgress, double progress) {
        if (warmupFraction > 0 && progress < warmupFraction) {
            return peak * Math.min(1.0, warmupProgress / warmupFraction);
        }
        double span = 1 - warmupFraction;
        double x = Math.min(1.0, (progress - warmupFraction) / span);
        return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * x));
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        long i = Math.max(0, iteration);
        // Warm-up ramps on the progress at the end of the step, so the first update is never zero.
        return valueAtProgress(progress(i + 1), progress(i));
    }

    /**
     * The same schedule with a new estimate of the total: anchored at {@code step} with the
     * progress made so far, so the learning rate does not jump.
     */
    public BudgetSchedule refit(long step, long newTotalSteps) {
        long s = Math.max(0, step);
        return new BudgetSchedule(warmupFraction, peak, floor, Math.max(s + 1, newTotalSteps), s, progress(s));
    }

    @Override
    public ISchedule clone() {
        return new BudgetSchedule(warmupFraction, peak, floor, totalSteps, anchorStep, anchorProgress);
    }

    public double getWarmupFraction() { return warmupFraction; }
    public double getPeak() { return peak; }
    public double getFloor() { return floor; }
    public long getTotalSteps() { return totalSteps; }
    public long getAnchorStep() { return anchorStep; }
    public double getAnchorProgress() { return anchorProgress; }

    @Override
    public boolean equals(Object o) {
        return o instanceof BudgetSchedule s && s.warmupFraction == warmupFraction && s.peak == peak
                && s.floor == floor && s.totalSteps == totalSteps && s.anchorStep == anchorStep
                && s.anchorProgress == anchorProgress;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(warmupFraction, peak, floor, totalSteps, anchorStep, anchorProgress);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "BudgetSchedule(warmup=%.3f, peak=%g, floor=%g, total=%d, anchor=%d@%.4f)",
                warmupFraction, peak, floor, totalSteps, anchorStep, anchorProgress);
    }
}
