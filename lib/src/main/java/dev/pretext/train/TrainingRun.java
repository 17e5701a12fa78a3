package dev.pretext.train;

import dev.pretext.UserError;
import dev.pretext.data.FsDir;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.IUpdater;
import scala.reflect.ClassTag$;

/**
 * The training loop. It knows nothing of the method: it fits a {@link ComputationGraph} on the
 * minibatches of a {@link BatchSource} through a {@link DistributedTrainer}.
 *
 * <p>Each epoch is fitted in {@code chunksPerEpoch} chunks (contiguous ranges of the epoch RDD's
 * partitions, at most one chunk per partition). After every chunk the loop computes the loss on a
 * fixed monitor batch ({@code net.score}, regularisation included) and the embedding diagnostics,
 * appends a line to {@code metrics.jsonl}, prints a progress line, and calls the method's
 * {@link TrainingHook}. After every epoch it writes a checkpoint ({@link Checkpoints}).
 *
 * <p>Stopping: when this invocation's wall clock passes {@code maxSeconds} after a chunk, the loop
 * checkpoints what was done (mid-epoch if need be) and returns with reason {@code time budget}.
 * A non-finite loss stops it at once ({@code diverged}); an embedding std below
 * {@code collapseStd} on {@code collapsePatience} consecutive chunks stops it ({@code collapsed}).
 * Both throw {@link TrainingStoppedException} and write no checkpoint of the bad model, so the
 * last good one is kept. Default collapse threshold 1e-4 (a healthy D-dimensional embedding sits
 * near 1/sqrt(D), e.g. 0.044 for D=512) over 3 chunks, so one noisy check never stops a run.
 *
 * <p>{@code resume}: continue from the newest complete checkpoint (parameters, updater state,
 * step counts, method state) at the next chunk; {@code metrics.jsonl} is appended to. A newest
 * checkpoint whose {@code model.zip} does not load (truncated, deleted) is skipped with a note, and
 * the previous complete one is used ({@link Checkpoints#restoreNewest}). Without {@code resume}, a
 * run directory that already holds checkpoints is refused.
 *
 * <p>The run directory may be local or on any Hadoop file system ({@code hdfs://}): see {@link FsDir}.
 */
public final class TrainingRun {
    private final ComputationGraph net;
    private final BatchSource source;
    private final DistributedTrainer trainer;
    private final int epochs;
    private final double maxSeconds;
    private final FsDir runDir;
    private final MultiDataSet monitor;
    private final String embeddingLayer;
    private final int chunksPerEpoch;
    private final boolean resume;
    private final long seed;
    private final double collapseStd;
    private final int collapsePatience;
    private final int keepCheckpoints;
    private final TrainingHook hook;
    private final ProgressLine progress;
    private final MetricsLog metrics;
    private final EncoderMonitor encoderMonitor;
    private final long epochBoundedSteps;
    private double lastKnn = Double.NaN;

    private TrainingRun(Builder b) {
        this.net = require(b.net, "net");
        this.source = require(b.source, "source");
        this.trainer = require(b.trainer, "trainer");
        this.runDir = require(b.runDir, "runDir");
        this.monitor = require(b.monitor, "monitorBatch");
        this.embeddingLayer = require(b.embeddingLayer, "embeddingLayer");
        if (b.epochs < 1) {
            throw new UserError("train.epochs must be >= 1, got " + b.epochs);
        }
        if (!(b.maxSeconds > 0)) {
            throw new UserError("train.max-seconds must be > 0, got " + b.maxSeconds);
        }
        if (b.chunksPerEpoch < 1) {
            throw new UserError("train.chunks-per-epoch must be >= 1, got " + b.chunksPerEpoch);
        }
        if (b.collapsePatience < 1) {
            throw new UserError("collapse patience must be >= 1, got " + b.collapsePatience);
        }
        if (monitor.getFeatures(0).size(0) < 2) {
            throw new UserError("the monitor batch needs at least 2 examples, got " + monitor.getFeatures(0).size(0));
        }
        if (net.getConfiguration().getVertices().get(embeddingLayer) == null) {
            throw new UserError("embedding layer '" + embeddingLayer + "' is not a vertex of the network; vertices: "
                    + net.getConfiguration().getVertices().keySet());
        }
        this.epochs = b.epochs;
        this.maxSeconds = b.maxSeconds;
        this.chunksPerEpoch = b.chunksPerEpoch;
        this.resume = b.resume;
        this.seed = b.seed;
        this.collapseStd = b.collapseStd;
        this.collapsePatience = b.collapsePatience;
        this.keepCheckpoints = b.keepCheckpoints;
        this.hook = b.hook == null ? TrainingHook.NONE : b.hook;
        this.progress = new ProgressLine(b.progress);
        this.metrics = new MetricsLog(runDir);
        this.encoderMonitor = b.encoderMonitor;
        this.epochBoundedSteps = b.epochBoundedSteps;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The network being trained (the one given; a resume loads the checkpoint into it). */
    public ComputationGraph net() {
        return net;
    }

    /** What this invocation has done so far: counters the summary, the stop rules and checkpoints read. */
    private static final class Tally {
        final long t0 = System.nanoTime();
        int startEpoch;
        int startChunk;
        int resumedChunks = -1;
        double elapsedBefore;
        String lastCheckpoint;
        long images;
        double fitSeconds;
        double loss = Double.NaN;
        double knn = Double.NaN;
        int lowStdStreak;
        int chunks;
        int epochsCompleted;
        int chunksCompleted;

        double sessionSeconds() {
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** Runs until done, out of time, or stopped; returns the summary (also written to summary.json). */
    public RunSummary run() {
        try {
            return train();
        } finally {
            progress.end();
        }
    }

    private RunSummary train() {
        Tally t = new Tally();
        Optional<org.nd4j.linalg.schedule.ISchedule> fresh = Schedules.of(net);
        boolean resumed = restore(t);
        Optional<BudgetSchedule> budget = budgetSchedule(resumed, fresh);
        long chunkStart = System.nanoTime();
        int chunkStartStep = net.getConfiguration().getIterationCount();
        t.epochsCompleted = t.startEpoch;
        t.chunksCompleted = t.startChunk;
        for (int e = t.startEpoch; e < epochs; e++) {
            JavaRDD<MultiDataSet> all = source.epoch(e);
            int parts = all.getNumPartitions();
            int chunks = e == t.startEpoch && t.resumedChunks > 0 ? t.resumedChunks : Math.min(chunksPerEpoch, parts);
            if (parts < chunks) {
                throw new UserError("epoch " + (e + 1) + " has " + parts + " partitions, fewer than the "
                        + chunks + " chunks of the checkpoint being resumed; keep the partitioning of a run fixed");
            }
            for (int c = (e == t.startEpoch ? t.startChunk : 0); c < chunks; c++) {
                // 1. fit one chunk: a contiguous range of the epoch's partitions
                int from = (int) ((long) c * parts / chunks);
                int to = (int) ((long) (c + 1) * parts / chunks);
                long f0 = System.nanoTime();
                long minibatches = trainer.fitEpochChunk(net, partitions(all, from, to));
                double fitS = (System.nanoTime() - f0) / 1e9;
                net.getConfiguration().setEpochCount(e);
                long images = Math.round((double) source.imagesPerEpoch() * (to - from) / parts);
                t.images += images;
                t.fitSeconds += fitS;
                t.chunks++;
                t.chunksCompleted = c + 1;

                // 2. measure it, log it
                t.loss = net.score(monitor, false);
                if (encoderMonitor != null) {
                    t.knn = encoderMonitor.evaluate(net);
                }
                double[][] z = embedding();
                double std = EmbeddingDiagnostics.embeddingStd(z);
                int step = net.getConfiguration().getIterationCount();
                double lr = learningRate(net, step, e);
                double sessionS = t.sessionSeconds();
                double ips = fitS > 0 ? images / fitS : Double.NaN;
                metrics.append(record(e, c, chunks, step, t, lr, ips, std, z, minibatches));

                // 3. fit the schedule to the budget from what the last chunk measured (its wall
                // clock includes the monitor and checkpoint work around the fit), and report progress
                double done = e + (double) (c + 1) / chunks;
                double perEpoch = sessionS / (done - (t.startEpoch + (double) t.startChunk / Math.max(1, chunks)));
                double eta = Math.min((epochs - done) * perEpoch, Math.max(0, maxSeconds - sessionS));
                BudgetPlan plan = null;
                if (budget.isPresent()) {
                    long now = System.nanoTime();
                    double chunkS = (now - chunkStart) / 1e9;
                    int chunkSteps = step - chunkStartStep;
                    if (chunkS > 0 && chunkSteps > 0) {
                        plan = BudgetPlan.of(maxSeconds, sessionS, step, chunkS, chunkSteps, epochBoundedSteps);
                        BudgetSchedule next = budget.get().refit(step, plan.totalSteps());
                        Schedules.set(net, next);
                        budget = Optional.of(next);
                        eta = Math.min(eta, plan.chunksLeft() * chunkS);
                    }
                    chunkStart = now;
                    chunkStartStep = step;
                }
                progress.chunk(e + 1, epochs, c + 1, chunks, done / epochs, t.loss, lr, ips, eta,
                        encoderMonitor == null ? null : encoderMonitor.metric(), t.knn);
                hook.afterChunk(net, e, c);

                // 4. stop rules: diverged or collapsed (no checkpoint of the bad model)
                checkStops(e, c, step, std, t);

                // 5. checkpoint at the end of an epoch and when the budget is spent
                boolean epochDone = c + 1 == chunks;
                boolean outOfTime = (sessionS > maxSeconds || (plan != null && plan.chunksLeft() == 0))
                        && !(epochDone && e + 1 == epochs);
                if (epochDone) {
                    t.epochsCompleted = e + 1;
                    t.chunksCompleted = 0;
                }
                if (epochDone || outOfTime) {
                    checkpoint(chunks, step, t);
                }
                if (outOfTime) {
                    String why = sessionS > maxSeconds ? ", past the budget of " + maxSeconds + " s"
                            : ", with too little of the budget of " + maxSeconds + " s left for another chunk";
                    lastKnn = t.knn;
                    return finish(RunSummary.TIME_BUDGET, "stopped after " + ProgressLine.hms(sessionS) + why, t);
                }
            }
        }
        lastKnn = t.knn;
        return finish(RunSummary.COMPLETED, t.chunks == 0 ? "nothing left to train" : "all epochs done", t);
    }

    /**
     * Loads the newest checkpoint that loads into the network when resuming (refusing a run
     * directory with checkpoints otherwise); true when one was loaded.
     */
    private boolean restore(Tally t) {
        if (!resume) {
            Checkpoints.findLatest(runDir).ifPresent(c -> {
                throw new UserError("run directory " + runDir + " already holds checkpoints (newest "
                        + c.name() + "); resume it or choose a new run directory");
            });
        }
        Optional<Checkpoints.Checkpoint> latest = resume
                ? Checkpoints.restoreNewest(runDir, net, this::warn) : Optional.empty();
        if (latest.isEmpty()) {
            metrics.truncateAfter(0, 0);
            return false;
        }
        TrainerState s = latest.get().state();
        hook.restore(s.methodState());
        t.startEpoch = s.epochsCompleted();
        t.startChunk = s.chunksCompleted();
        t.resumedChunks = s.chunksCompleted() > 0 ? s.chunksPerEpoch() : -1;
        t.elapsedBefore = s.elapsedSeconds();
        t.lastCheckpoint = latest.get().name();
        int dropped = metrics.truncateAfter(t.startEpoch, t.startChunk);
        if (progress.enabled()) {
            progress.note(String.format(java.util.Locale.ROOT,
                    "resuming from checkpoint %s: %d epoch(s) and %d chunk(s) done, step %d, %.0f s trained%s",
                    t.lastCheckpoint, t.startEpoch, t.startChunk, s.iterationCount(), t.elapsedBefore,
                    dropped > 0 ? "; dropped " + dropped + " metrics row(s) of the interrupted attempt" : ""));
        }
        return true;
    }

    /** A line the user must see even without progress lines (a damaged checkpoint skipped). */
    private void warn(String line) {
        if (progress.enabled()) {
            progress.note(line);
        } else {
            System.err.println("[train] " + line);
        }
    }

    /**
     * The budget-fitted schedule of a time-bounded run. A resume brings a new budget: the rest of an
     * interrupted schedule is spread over it (from the progress the checkpoint had made), and a
     * schedule that had reached its floor starts a new warm-up and decay (a warm restart) instead
     * of training at the floor.
     */
    private Optional<BudgetSchedule> budgetSchedule(boolean resumed, Optional<org.nd4j.linalg.schedule.ISchedule> fresh) {
        Optional<BudgetSchedule> budget = timeBounded()
                ? Schedules.of(net).filter(BudgetSchedule.class::isInstance).map(BudgetSchedule.class::cast)
                : Optional.empty();
        if (budget.isPresent() && resumed && fresh.orElse(null) instanceof BudgetSchedule f) {
            long s0 = net.getConfiguration().getIterationCount();
            double p = budget.get().progress(s0);
            BudgetSchedule next = new BudgetSchedule(f.getWarmupFraction(), f.getPeak(), f.getFloor(),
                    s0 + f.getTotalSteps(), s0, p >= 0.999 ? 0.0 : p);
            Schedules.set(net, next);
            budget = Optional.of(next);
        }
        return budget;
    }

    /** One line of metrics.jsonl for a chunk. */
    private Map<String, Object> record(int e, int c, int chunks, int step, Tally t, double lr, double ips, double std,
                                       double[][] z, long minibatches) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", e + 1);
        m.put("chunk", c + 1);
        m.put("chunks", chunks);
        m.put("epoch_progress", e + (double) (c + 1) / chunks);
        m.put("step", step);
        m.put("loss", t.loss);
        m.put("lr", lr);
        m.put("images_per_s", ips);
        m.put("embedding_std", std);
        m.put("effective_rank", Double.isFinite(t.loss) ? EmbeddingDiagnostics.effectiveRank(z) : Double.NaN);
        if (encoderMonitor != null) {
            m.put(encoderMonitor.metric(), t.knn);
        }
        m.put("elapsed_s", t.elapsedBefore + t.sessionSeconds());
        m.put("minibatches", minibatches);
        m.put("trainer", trainer.name());
        return m;
    }

    /** Throws when the loss is not finite, or the embedding std stayed below the threshold too long. */
    private void checkStops(int e, int c, int step, double std, Tally t) {
        if (!Double.isFinite(t.loss)) {
            throw stop(RunSummary.DIVERGED, "training diverged at epoch " + (e + 1) + " chunk " + (c + 1)
                    + " (step " + step + "): the loss on the monitor batch is " + t.loss
                    + "; lower the learning rate or lengthen the warm-up. Last good checkpoint: "
                    + t.lastCheckpoint, t);
        }
        t.lowStdStreak = std < collapseStd ? t.lowStdStreak + 1 : 0;
        if (t.lowStdStreak >= collapsePatience) {
            throw stop(RunSummary.COLLAPSED, "the embedding '" + embeddingLayer + "' collapsed: its std was"
                    + " below " + collapseStd + " for " + t.lowStdStreak + " consecutive chunks (now " + std
                    + ", epoch " + (e + 1) + "). Last good checkpoint: " + t.lastCheckpoint, t);
        }
    }

    private void checkpoint(int chunks, int step, Tally t) {
        TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, t.epochsCompleted, t.chunksCompleted,
                chunks, step, net.getConfiguration().getEpochCount(), t.elapsedBefore + t.sessionSeconds(), seed, null,
                trainer.name(), hook.state());
        t.lastCheckpoint = Checkpoints.write(runDir, net, state, keepCheckpoints).name();
    }

    /** A finite {@code maxSeconds}: the budget, not the epochs, is expected to end the run. */
    private boolean timeBounded() {
        return maxSeconds < Double.MAX_VALUE / 2;
    }

    private double[][] embedding() {
        Map<String, INDArray> acts = net.feedForward(monitor.getFeatures(), false, false);
        INDArray a = acts.get(embeddingLayer);
        if (a == null) {
            throw new UserError("embedding layer '" + embeddingLayer + "' produced no activation; vertices: "
                    + acts.keySet());
        }
        return EmbeddingDiagnostics.toMatrix(a);
    }

    /** The learning rate of the first layer that has one, at the given step (NaN if none has). */
    static double learningRate(ComputationGraph net, int iteration, int epoch) {
        for (Layer l : net.getLayers()) {
            if (l.conf() != null && l.conf().getLayer() instanceof BaseLayer bl) {
                IUpdater u = bl.getIUpdater();
                if (u != null && u.hasLearningRate()) {
                    return u.getLearningRate(iteration, epoch);
                }
            }
        }
        return Double.NaN;
    }

    /**
     * Partitions {@code [from, to)} of an epoch's minibatches: what one chunk of a run fits (bench
     * feeds its trainers the same way).
     */
    public static JavaRDD<MultiDataSet> partitions(JavaRDD<MultiDataSet> all, int from, int to) {
        if (from == 0 && to == all.getNumPartitions()) {
            return all;
        }
        // Only the selected partitions are computed: PartitionPruningRDD launches no task for the rest.
        PartitionPruningRDD<MultiDataSet> pruned = PartitionPruningRDD.create(all.rdd(),
                new PartitionRange(from, to));
        return new JavaRDD<>(pruned, ClassTag$.MODULE$.apply(MultiDataSet.class));
    }

    private TrainingStoppedException stop(String reason, String message, Tally t) {
        RunSummary s = summary(reason, message, t);
        writeSummary(s);
        return new TrainingStoppedException(message, s);
    }

    private RunSummary finish(String reason, String message, Tally t) {
        RunSummary s = summary(reason, message, t);
        writeSummary(s);
        return s;
    }

    private RunSummary summary(String reason, String message, Tally t) {
        double seconds = t.sessionSeconds();
        return new RunSummary(t.epochsCompleted, epochs, t.chunksCompleted, net.getConfiguration().getIterationCount(),
                seconds, t.elapsedBefore + seconds, t.fitSeconds > 0 ? t.images / t.fitSeconds : Double.NaN, t.loss,
                reason, message, t.lastCheckpoint, trainer.name(), timeBounded() ? "time" : "epochs",
                Schedules.of(net).map(Object::toString).orElse("constant"), lastKnn,
                source.imagesPerEpoch());
    }

    private void writeSummary(RunSummary s) {
        FsDir file = runDir.child("summary.json");
        try {
            Map<String, Object> m = Checkpoints.JSON.convertValue(s, Map.class);
            m.replaceAll((k, v) -> v instanceof Double d && !Double.isFinite(d) ? null : v);
            file.writeAtomically(Checkpoints.JSON.writeValueAsString(m));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static <T> T require(T v, String what) {
        if (v == null) {
            throw new IllegalArgumentException("TrainingRun: " + what + " is required");
        }
        return v;
    }

    /** Selects partitions {@code [from, to)}. */
    private static final class PartitionRange extends scala.runtime.AbstractFunction1<Object, Object>
            implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final int from;
        private final int to;

        PartitionRange(int from, int to) {
            this.from = from;
            this.to = to;
        }

        @Override
        public Object apply(Object index) {
            int i = (Integer) index;
            return i >= from && i < to;
        }
    }

    /** Builder; see the class comment for the meaning of each setting. */
    public static final class Builder {
        private ComputationGraph net;
        private BatchSource source;
        private DistributedTrainer trainer;
        private int epochs = 1;
        private double maxSeconds = Double.MAX_VALUE;
        private FsDir runDir;
        private MultiDataSet monitor;
        private String embeddingLayer;
        private int chunksPerEpoch = 1;
        private boolean resume;
        private long seed;
        private double collapseStd = 1e-4;
        private int collapsePatience = 3;
        private int keepCheckpoints = 3;
        private TrainingHook hook;
        private PrintStream progress = System.err;
        private EncoderMonitor encoderMonitor;
        private long epochBoundedSteps = Long.MAX_VALUE;

        public Builder net(ComputationGraph v) { net = v; return this; }
        public Builder source(BatchSource v) { source = v; return this; }
        public Builder trainer(DistributedTrainer v) { trainer = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        /** Wall-clock budget of this invocation, seconds. */
        public Builder maxSeconds(double v) { maxSeconds = v; return this; }
        public Builder runDir(Path v) { runDir = v == null ? null : FsDir.local(v); return this; }
        /** A run directory on any Hadoop file system ({@code hdfs://...}) or a local one. */
        public Builder runDir(FsDir v) { runDir = v; return this; }
        /** Fixed driver-side batch for the reported loss and the embedding diagnostics. */
        public Builder monitorBatch(MultiDataSet v) { monitor = v; return this; }
        public Builder embeddingLayer(String v) { embeddingLayer = v; return this; }
        /** The log interval: metrics, progress and the time-budget check happen this many times per epoch. */
        public Builder chunksPerEpoch(int v) { chunksPerEpoch = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        /** Recorded in trainer-state.json. */
        public Builder seed(long v) { seed = v; return this; }
        public Builder collapse(double std, int patience) { collapseStd = std; collapsePatience = patience; return this; }
        /** Complete checkpoints to keep (older ones are deleted); 0 keeps all. */
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }
        public Builder hook(TrainingHook v) { hook = v; return this; }
        /** Where progress lines go; null for none. */
        public Builder progress(PrintStream v) { progress = v; return this; }
        /** Evaluated after every chunk on the driver (e.g. a kNN monitor); null for none. */
        public Builder encoderMonitor(EncoderMonitor v) { encoderMonitor = v; return this; }
        /**
         * The step count the epochs allow: a budget-fitted schedule ({@link BudgetSchedule}) never
         * plans beyond it.
         */
        public Builder epochBoundedSteps(long v) { epochBoundedSteps = v; return this; }

        public TrainingRun build() {
            return new TrainingRun(this);
        }
    }
}
