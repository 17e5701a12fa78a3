package dev.pretext.train;

import java.util.Map;

/**
 * The loop's position, saved as {@code trainer-state.json} next to {@code model.zip} (snake_case
 * keys). A checkpoint at an epoch boundary has {@code chunksCompleted == 0}; one written when the
 * time budget ran out mid-epoch has the chunks done of epoch {@code epochsCompleted + 1} out of
 * {@code chunksPerEpoch}.
 */
public record TrainerState(int formatVersion, int epochsCompleted, int chunksCompleted, int chunksPerEpoch,
                           int iterationCount, int epochCount, double elapsedSeconds, long seed, String rngState,
                           String trainer, Map<String, Object> methodState) {
    public static final int FORMAT_VERSION = 1;

    public TrainerState {
        methodState = methodState == null ? Map.of() : Map.copyOf(methodState);
    }

    /** Ordering of checkpoints: later position = larger key. */
    long position() {
        return (long) epochsCompleted * 1_000_000L + chunksCompleted;
    }
}
