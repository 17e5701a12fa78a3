package dev.pretext.train;

import java.io.IOException;
import java.io.ObjectOutputStream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Gives a paramavg worker's graph the run's step count. DL4J M2's parameter-averaging worker
 * builds its graph afresh every averaging round with an iteration count of 0 (measured:
 * {@code TargetTwinTest}), so without this every round would run the learning-rate schedule, Adam's
 * bias correction and the EMA momentum schedule from step 0 again: a warm-up repeated every
 * {@code averaging-frequency} minibatches, never the decay.
 *
 * <p>How: the hook travels to the executors inside each round's task, serialised when the master
 * launches the round; {@link #writeObject} records the driver graph's step count at that moment
 * (the master has advanced it by the rounds before), and before each minibatch the worker's count
 * is set to that step plus the minibatches it has fitted in this round. All workers of a round are
 * at the same step, as in synchronous data parallelism.
 */
final class WorkerStepSync implements TrainingHook {
    private static final long serialVersionUID = 1L;
    private transient volatile ComputationGraph driver;
    private int base;
    private transient int fitted;
    private transient boolean received;

    /** The driver graph whose step count the next rounds start from. */
    void bind(ComputationGraph net) {
        this.driver = net;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        ComputationGraph d = driver;
        base = d == null ? 0 : d.getConfiguration().getIterationCount();
        out.defaultWriteObject();
    }

    private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        received = true;
    }

    private void before(Model model) {
        if (received && model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(base + fitted);
        }
    }

    private void after() {
        fitted++;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        before(model);
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        after();
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        before(model);
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
        after();
    }
}
