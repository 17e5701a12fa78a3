package dev.pretext.train;

import dev.pretext.nn.TargetTwin;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The target network's EMA step, run inside the workers after every minibatch (DL4J calls a
 * paramavg {@link TrainingHook} around each one, with the worker's graph): {@code twin = m * twin
 * + (1 - m) * online} ({@link TargetTwin#ema}), with BYOL's momentum schedule {@code m = 1 - (1 -
 * m0) * (cos(pi * p) + 1) / 2}, m0 -> 1 as the run's progress p goes 0 -> 1.
 *
 * <p>The progress is the learning-rate schedule's, read from the worker's own graph at its step
 * count: the budget-fitted {@link BudgetSchedule} (re-fitted on the driver after every chunk and
 * shipped with the graph) or the epochs' {@link WarmupCosineSchedule}; with neither, m stays m0.
 * State lives in the graph's parameters only (the worker graph is rebuilt every averaging round).
 */
public final class EmaTargetHook implements TrainingHook {
    private static final long serialVersionUID = 1L;
    private final double baseMomentum;

    public EmaTargetHook(double baseMomentum) {
        if (!(baseMomentum >= 0 && baseMomentum <= 1)) {
            throw new IllegalArgumentException("EMA base momentum must be in [0, 1], got " + baseMomentum);
        }
        this.baseMomentum = baseMomentum;
    }

    public double baseMomentum() {
        return baseMomentum;
    }

    /** The momentum at progress {@code p} in [0, 1]. */
    public static double momentum(double base, double p) {
        double q = Math.max(0, Math.min(1, p));
        return 1 - (1 - base) * (Math.cos(Math.PI * q) + 1) / 2;
    }

    /** The run's progress at the graph's current step, from its learning-rate schedule (0 when unknown). */
    static double progress(ComputationGraph g) {
        int step = g.getConfiguration().getIterationCount();
        ISchedule s = Schedules.of(g).orElse(null);
        if (s instanceof BudgetSchedule b) {
            return b.progress(step);
        }
        if (s instanceof WarmupCosineSchedule w && w.getTotalIterations() > 0) {
            return Math.min(1.0, step / (double) w.getTotalIterations());
        }
        return 0.0;
    }

    /** One EMA step on {@code g} at its current progress; returns the momentum used. */
    public double step(ComputationGraph g) {
        double m = momentum(baseMomentum, progress(g));
        TargetTwin.ema(g, m);
        return m;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        step((ComputationGraph) model);
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        step((ComputationGraph) model);
    }
}
