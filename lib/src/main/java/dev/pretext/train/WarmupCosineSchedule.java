package dev.pretext.train;

import dev.pretext.UserError;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Learning rate: linear warm-up to {@code peak}, then half a cosine down to {@code floor}, as a DL4J
 * {@link ISchedule} so that it travels inside the network configuration (JSON, ModelSerializer,
 * the Spark broadcast of the configuration to workers).
 *
 * <p>Step {@code i} (0-based) during warm-up gets {@code peak * (i + 1) / warmup}, so the first
 * update is never zero; from step {@code warmup} on, the cosine runs over
 * {@code total - warmup} steps and stays at {@code floor} beyond {@code total}.
 *
 * <p>What "step" means under Spark: DL4J hands the schedule the network's iteration count. Under
 * parameter averaging each worker starts a split from the driver's count (broadcast with the
 * configuration) and counts its own minibatches, and the master adds {@code averagingFrequency} per
 * split; under gradient sharing each worker counts its own minibatches. Either way the count is
 * the number of synchronous data-parallel steps (minibatches / workers), not the number of
 * minibatches, and {@link DistributedTrainer} implementations set the driver's count to that
 * after every fit. Size {@code total} accordingly: {@code epochs * ceil(batchesPerEpoch / workers)}.
 *
 * <p>Serialisation follows DL4J's own schedules (e.g. {@code CycleSchedule}): ND4J's shaded
 * Jackson, type information from {@link ISchedule}'s {@code @class} property, final fields and a
 * {@link JsonCreator} constructor.
 */
public final class WarmupCosineSchedule implements ISchedule {
    private final long totalIterations;
    private final long warmupIterations;
    private final double peak;
    private final double floor;

    @JsonCreator
    public WarmupCosineSchedule(@JsonProperty("totalIterations") long totalIterations,
                                @JsonProperty("warmupIterations") long warmupIterations,
                                @JsonProperty("peak") double peak,
                                @JsonProperty("floor") double floor) {
        if (totalIterations < 1) {
            throw new UserError("learning-rate schedule: total iterations must be >= 1, got " + totalIterations);
        }
        if (warmupIterations < 0 || warmupIterations > totalIterations) {
            throw new UserError("learning-rate schedule: warm-up iterations must be in [0, " + totalIterations
                    + "] (the total), got " + warmupIterations);
        }
        if (!(peak > 0) || Double.isInfinite(peak)) {
            throw new UserError("learning-rate schedule: peak learning rate must be a finite number > 0, got " + peak);
        }
        if (!(floor >= 0) || floor > peak) {
            throw new UserError("learning-rate schedule: floor must be in [0, peak=" + peak + "], got " + floor);
        }
        this.totalIterations = totalIterations;
        this.warmupIterations = warmupIterations;
        this.peak = peak;
        this.floor = floor;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        long i = Math.max(0, iteration);
        if (i < warmupIterations) {
            return peak * (i + 1) / warmupIterations;
        }
        long span = Math.max(1, totalIterations - warmupIterations);
        double progress = Math.min(1.0, (double) (i - warmupIterations) / span);
        return floor + (peak - floor) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
    }

    @Override
    public ISchedule clone() {
        return new WarmupCosineSchedule(totalIterations, warmupIterations, peak, floor);
    }

    public long getTotalIterations() {
        return totalIterations;
    }

    public long getWarmupIterations() {
        return warmupIterations;
    }

    public double getPeak() {
        return peak;
    }

    public double getFloor() {
        return floor;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarmupCosineSchedule s && s.totalIterations == totalIterations
                && s.warmupIterations == warmupIterations && s.peak == peak && s.floor == floor;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(totalIterations, warmupIterations, peak, floor);
    }

    @Override
    public String toString() {
        return "WarmupCosineSchedule(total=" + totalIterations + ", warmup=" + warmupIterations
                + ", peak=" + peak + ", floor=" + floor + ")";
    }
}
