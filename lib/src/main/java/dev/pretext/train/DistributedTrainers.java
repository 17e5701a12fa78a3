package dev.pretext.train;

import dev.pretext.UserError;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;

/** Picks a {@link DistributedTrainer} by its config name. */
public final class DistributedTrainers {
    public static final String NAMES = "paramavg|shared";

    private DistributedTrainers() {
    }

    public static DistributedTrainer create(String name, TrainerSettings settings, JavaSparkContext jsc) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "paramavg" -> new ParameterAveragingTrainer(jsc, settings);
            case "shared" -> new SharedGradientTrainer(jsc, settings);
            default -> throw new UserError("unknown trainer '" + name + "'; valid: " + NAMES);
        };
    }
}
