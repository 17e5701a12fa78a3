package dev.pretext.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.data.FsDir;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Checkpoints under {@code <run>/checkpoints/}: {@code epoch-NNNN/} after epoch NNNN (1-based), or
 * {@code epoch-NNNN-chunk-CCC/} for C chunks of epoch NNNN done when the time budget ran out. Each
 * holds {@code model.zip} (parameters, configuration, updater state) and {@code trainer-state.json}.
 * The run directory may be on any Hadoop file system ({@link FsDir}: local, {@code hdfs://}).
 *
 * <p>A checkpoint is written into {@code .tmp-<uuid>/} and renamed into place (one atomic rename
 * on HDFS and on a local disk), then the text file {@code latest} (its directory name) is replaced
 * atomically; a crash leaves at worst a {@code .tmp-} directory, which readers ignore. Readers do
 * not trust {@code latest} alone: they take the newest checkpoint whose files are all there and
 * whose state reads, and a resume ({@link #restoreNewest}) falls back to the previous one, saying
 * so, when the newest one's {@code model.zip} cannot be read (truncated, deleted, corrupt).
 */
public final class Checkpoints {
    public static final String DIR = "checkpoints";
    public static final String MODEL = "model.zip";
    public static final String STATE = "trainer-state.json";
    public static final String LATEST = "latest";
    private static final Pattern NAME = Pattern.compile("epoch-(\\d{4,})(?:-chunk-(\\d{3,}))?");
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** A complete checkpoint: both files there, the state readable. */
    public record Checkpoint(FsDir dir, TrainerState state) {
        public FsDir model() {
            return dir.child(MODEL);
        }

        public String name() {
            return dir.name();
        }
    }

    /** A checkpoint's {@code model.zip} exists but does not load (truncated, corrupt). */
    public static final class UnreadableCheckpoint extends UserError {
        UnreadableCheckpoint(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A checkpoint directory as listed: its state, or why it is not complete. */
    private record Entry(FsDir dir, long order, TrainerState state, String problem) {
    }

    private Checkpoints() {
    }

    public static String dirName(TrainerState s) {
        return s.chunksCompleted() == 0
                ? String.format("epoch-%04d", s.epochsCompleted())
                : String.format("epoch-%04d-chunk-%03d", s.epochsCompleted() + 1, s.chunksCompleted());
    }

    /** {@link #write(FsDir, ComputationGraph, TrainerState, int)} into a local run directory. */
    public static Path write(Path runDir, ComputationGraph net, TrainerState state, int keep) {
        return write(FsDir.local(runDir), net, state, keep).localPath().orElseThrow();
    }

    /** Writes a checkpoint atomically, points {@code latest} at it, and keeps the newest {@code keep}. */
    public static FsDir write(FsDir runDir, ComputationGraph net, TrainerState state, int keep) {
        FsDir root = runDir.child(DIR);
        FsDir tmp = root.child(".tmp-" + UUID.randomUUID());
        FsDir target = root.child(dirName(state));
        try {
            tmp.mkdirs();
            try (OutputStream out = tmp.child(MODEL).create()) {
                ModelSerializer.writeModel(net, out, true);
            }
            try (OutputStream out = tmp.child(STATE).create()) {
                out.write(JSON.writeValueAsBytes(state));
            }
            // the same position written again (a resume that fell back past a damaged checkpoint)
            target.deleteIfExists();
            tmp.moveOnto(target);
            root.child(LATEST).writeAtomically(target.name() + "\n");
            prune(root, keep);
            return target;
        } catch (IOException e) {
            try {
                tmp.deleteIfExists();
            } catch (IOException ignored) {
                // a stray .tmp- directory is ignored by readers
            }
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    public static Optional<Checkpoint> findLatest(Path runDir) {
        return findLatest(FsDir.local(runDir));
    }

    /**
     * The newest complete checkpoint (not a {@code .tmp-} directory, both files there, the state
     * readable). Its {@code model.zip} is not read: {@link #restoreNewest} and {@link #loadNewest}
     * also fall back past one that does not load.
     */
    public static Optional<Checkpoint> findLatest(FsDir runDir) {
        return complete(scan(runDir.child(DIR))).stream().findFirst();
    }

    /**
     * Loads the newest checkpoint that loads into {@code net} ({@link #restoreInto}). Newer ones that
     * are incomplete or whose {@code model.zip} does not load are skipped, and {@code note} is told
     * which and why. Empty when the run has no checkpoint; a {@link UserError} when none loads.
     */
    public static Optional<Checkpoint> restoreNewest(FsDir runDir, ComputationGraph net, Consumer<String> note) {
        return loadNewest(runDir, c -> {
            restoreInto(c, net);
            return c;
        }, note);
    }

    /**
     * {@code load} applied to the newest checkpoint for which it does not throw
     * {@link UnreadableCheckpoint}; see {@link #restoreNewest}.
     */
    public static <T> Optional<T> loadNewest(FsDir runDir, Function<Checkpoint, T> load, Consumer<String> note) {
        List<Entry> all = scan(runDir.child(DIR));
        List<String> skipped = new ArrayList<>();
        for (Entry e : all) {
            if (e.problem() != null) {
                skipped.add(e.dir().name() + " (" + e.problem() + ")");
                continue;
            }
            try {
                T out = load.apply(new Checkpoint(e.dir(), e.state()));
                if (!skipped.isEmpty()) {
                    note.accept("skipped the newer checkpoint(s) " + String.join(", ", skipped)
                            + "; using " + e.dir().name());
                }
                return Optional.of(out);
            } catch (UnreadableCheckpoint x) {
                skipped.add(e.dir().name() + " (" + x.getMessage() + ")");
            }
        }
        if (all.stream().anyMatch(e -> e.problem() == null)) {
            throw new UserError("no checkpoint of " + runDir + " can be read: " + String.join("; ", skipped));
        }
        if (!skipped.isEmpty()) {
            note.accept("no complete checkpoint: skipped " + String.join(", ", skipped));
        }
        return Optional.empty();
    }

    /**
     * Loads a checkpoint into {@code net} (which must have the same architecture): parameters,
     * updater state, iteration and epoch counts. Returns the saved trainer state. Throws
     * {@link UnreadableCheckpoint} when {@code model.zip} does not load.
     */
    public static TrainerState restoreInto(Checkpoint c, ComputationGraph net) {
        ComputationGraph saved = read(c, true);
        if (saved.numParams() != net.numParams()) {
            throw new UserError("checkpoint " + c.model() + " has " + saved.numParams()
                    + " parameters but the network being trained has " + net.numParams()
                    + "; resume needs the same method and network configuration");
        }
        net.setParams(saved.params());
        INDArray savedState = saved.getUpdater() == null ? null : saved.getUpdater().getStateViewArray();
        if (savedState != null) {
            INDArray state = net.getUpdater(true).getStateViewArray();
            if (state == null || state.length() != savedState.length()) {
                throw new UserError("checkpoint " + c.model() + " has an updater state of a different size;"
                        + " resume needs the same optimizer");
            }
            state.assign(savedState);
        }
        net.getConfiguration().setIterationCount(c.state().iterationCount());
        net.getConfiguration().setEpochCount(c.state().epochCount());
        // A budget-fitted schedule carries the progress it had made; TrainingRun continues from it.
        if (Schedules.of(net).orElse(null) instanceof BudgetSchedule
                && Schedules.of(saved).orElse(null) instanceof BudgetSchedule savedSchedule) {
            Schedules.set(net, savedSchedule);
        }
        return c.state();
    }

    /** The network saved in a checkpoint (with its updater when asked); {@link UnreadableCheckpoint} when it does not load. */
    public static ComputationGraph read(Checkpoint c, boolean loadUpdater) {
        try (InputStream in = c.model().open()) {
            return ModelSerializer.restoreComputationGraph(in, loadUpdater);
        } catch (IOException | RuntimeException e) {
            throw new UnreadableCheckpoint("checkpoint " + c.model() + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The complete entries, newest first. */
    private static List<Checkpoint> complete(List<Entry> entries) {
        return entries.stream().filter(e -> e.problem() == null).map(e -> new Checkpoint(e.dir(), e.state())).toList();
    }

    /** Every {@code epoch-*} directory under {@code root}, newest first, with what makes it incomplete. */
    private static List<Entry> scan(FsDir root) {
        List<Entry> out = new ArrayList<>();
        try {
            for (FsDir d : root.list()) {
                Matcher m = NAME.matcher(d.name());
                if (!m.matches() || !d.isDirectory()) {
                    continue;
                }
                // epoch-NNNN = N epochs done; epoch-NNNN-chunk-CCC = N-1 epochs and C chunks done
                long epochs = Long.parseLong(m.group(1)) - (m.group(2) == null ? 0 : 1);
                long order = epochs * 1_000_000L + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
                FsDir model = d.child(MODEL);
                FsDir state = d.child(STATE);
                String problem = null;
                TrainerState s = null;
                if (!model.isFile()) {
                    problem = MODEL + " is missing";
                } else if (model.length() == 0) {
                    problem = MODEL + " is empty";
                } else if (!state.isFile()) {
                    problem = STATE + " is missing";
                } else {
                    try (InputStream in = state.open()) {
                        s = JSON.readValue(in, TrainerState.class);
                        order = s.position();
                    } catch (IOException e) {
                        problem = STATE + " cannot be read";
                    }
                }
                out.add(new Entry(d, order, s, problem));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + root, e);
        }
        out.sort(Comparator.comparingLong(Entry::order).reversed());
        return out;
    }

    private static void prune(FsDir root, int keep) throws IOException {
        if (keep < 1) {
            return;
        }
        List<Checkpoint> all = complete(scan(root));
        for (int i = keep; i < all.size(); i++) {
            all.get(i).dir().deleteIfExists();
        }
    }
}
