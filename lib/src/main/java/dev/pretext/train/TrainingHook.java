package dev.pretext.train;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Per-method state the training loop carries without knowing what it is (an EMA target, a queue,
 * a vocabulary): called after every chunk, saved in every checkpoint's {@code trainer-state.json}
 * under {@code method_state}, and restored on resume. State must be JSON-serialisable (maps, lists,
 * strings, numbers); large arrays belong in files the method writes itself.
 */
public interface TrainingHook {
    TrainingHook NONE = new TrainingHook() {
    };

    default void afterChunk(ComputationGraph net, int epoch, int chunk) {
    }

    default Map<String, Object> state() {
        return Map.of();
    }

    default void restore(Map<String, Object> state) {
    }
}
