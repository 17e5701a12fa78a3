package dev.pretext.train;

import dev.pretext.UserError;
import java.util.List;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Builds an {@link Optimizer} from its config name.
 * <ul>
 *   <li>{@code adam}: Adam with coupled L2 (the penalty enters the gradient before Adam's scaling);</li>
 *   <li>{@code adamw}: Adam with decoupled weight decay (DL4J {@link WeightDecay} applied after the
 *       updater, multiplied by the current learning rate, as in AdamW);</li>
 *   <li>{@code sgd}: SGD with Nesterov momentum 0.9 and decoupled weight decay; with
 *       {@code nesterov=false}, plain SGD without momentum, because DL4J has no classical
 *       (heavy-ball) momentum updater.</li>
 * </ul>
 */
public final class Optimizers {
    public static final String NAMES = "adam|adamw|sgd";
    static final double MOMENTUM = 0.9;

    private Optimizers() {
    }

    /** @param schedule learning-rate schedule, or null for the constant {@code lr} */
    public static Optimizer create(String name, double lr, double weightDecay, ISchedule schedule, boolean nesterov) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new UserError("optimizer learning rate must be a finite number > 0, got " + lr);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new UserError("optimizer weight decay must be a finite number >= 0, got " + weightDecay);
        }
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        IUpdater updater;
        List<Regularization> reg;
        switch (n) {
            case "adam" -> {
                updater = schedule == null ? new Adam(lr) : new Adam(schedule);
                reg = weightDecay > 0 ? List.of(new L2Regularization(weightDecay)) : List.of();
            }
            case "adamw" -> {
                updater = schedule == null ? new Adam(lr) : new Adam(schedule);
                reg = weightDecay > 0 ? List.of(new WeightDecay(weightDecay, true)) : List.of();
            }
            case "sgd" -> {
                if (nesterov) {
                    updater = schedule == null ? new Nesterovs(lr, MOMENTUM) : new Nesterovs(schedule, MOMENTUM);
                } else {
                    updater = schedule == null ? new Sgd(lr) : new Sgd(schedule);
                }
                reg = weightDecay > 0 ? List.of(new WeightDecay(weightDecay, true)) : List.of();
            }
            default -> throw new UserError("unknown optimizer '" + name + "'; valid: " + NAMES);
        }
        return new Optimizer(n, updater, reg);
    }

    public static Optimizer create(String name, double lr, double weightDecay, ISchedule schedule) {
        return create(name, lr, weightDecay, schedule, true);
    }
}
