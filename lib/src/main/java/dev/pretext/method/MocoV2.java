package dev.pretext.method;

import dev.pretext.nn.MocoQueueLoss;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * MoCo v2 (Chen et al. 2020): InfoNCE of each view's query (online backbone + MLP projector)
 * against the momentum encoder's key of the other view, with negatives from a FIFO queue of past
 * keys ({@link MocoQueueLoss}, symmetrised). The key encoder is the EMA twin ({@link TwinMethod});
 * the queue is a parameter of the loss layer, so it is checkpointed and resumed with the model.
 * Parameter averaging would average the queues of different workers (a blur of unrelated keys),
 * so under {@code paramavg} it trains with one worker only.
 */
public final class MocoV2 extends TwinMethod {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "mocov2";
    static final List<MethodKey> KEYS = List.of(MOMENTUM_KEY,
            new MethodKey("queue-size", "keys in the queue of negatives (at least 2 x train.batch-size)"),
            new MethodKey("temperature", "softmax temperature of InfoNCE"), BLUR_KEY, SOLARIZE_KEY);
    private final int queueSize;
    private final double temperature;

    public MocoV2(MethodParams p) {
        super(p, 2);
        this.queueSize = p.integer("queue-size", 2, 1 << 20);
        this.temperature = p.dbl("temperature", 1e-4, 100);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ComputationGraphConfiguration configuration(ModelSpec spec, long seed) {
        return TwinGraphs.build(spec, seed, -1, TwinGraphs.Second.TWIN,
                new MocoQueueLoss(spec.projectionDim(), queueSize, temperature));
    }

    @Override
    public Optional<String> refusal(String trainer, int workers) {
        Optional<String> base = super.refusal(trainer, workers);
        if (base.isPresent() || workers == 1) {
            return base;
        }
        return Optional.of("method mocov2 keeps a queue of keys that parameter averaging would average across"
                + " the " + workers + " workers (a blur of unrelated keys): use train.workers = 1");
    }
}
