package dev.pretext.method;

import dev.pretext.nn.TargetTwin;
import dev.pretext.train.EmaTargetHook;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;

/**
 * A method with an EMA target network (BYOL, MoCo v2, MSBReg): the twin starts as a copy of the
 * online network and follows it after every minibatch, inside the workers, by {@link EmaTargetHook}
 * (momentum {@code momentum} -> 1 on a cosine over the run). Under {@code shared} it is refused
 * ({@link PretextMethod#refusal}): that trainer runs no per-step hook.
 */
abstract class TwinMethod extends ViewMethod {
    private static final long serialVersionUID = 1L;
    static final MethodKey MOMENTUM_KEY = new MethodKey("momentum",
            "EMA momentum of the target network at the start; it rises to 1 on a cosine over the run");
    private final double momentum;

    TwinMethod(MethodParams p, int views) {
        super(p, views);
        this.momentum = p.dbl(MOMENTUM_KEY.name(), 0, 1);
    }

    public double momentum() {
        return momentum;
    }

    @Override
    public void initialise(ComputationGraph graph) {
        TargetTwin.copyOnline(graph);
    }

    @Override
    public List<TrainingHook> stepHooks() {
        return List.of(new EmaTargetHook(momentum));
    }
}
