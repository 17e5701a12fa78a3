package dev.pretext.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Checkpoints under {@code <run>/checkpoints/}: {@code epoch-NNNN/} after epoch NNNN (1-based), or
 * {@code epoch-NNNN-chunk-CCC/} for C chunks of epoch NNNN done when the time budget ran out. Each
 * holds {@code model.zip} (parameters, configuration, updater state) and {@code trainer-state.json}.
 * A checkpoint is written into {@code .tmp-<uuid>/} and renamed into place, then the text file
 * {@code latest} (its directory name) is replaced atomically; a crash leaves at worst a
 * {@code .tmp-} directory, which readers ignore.
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

    /** A complete checkpoint on disk. */
    public record Checkpoint(Path dir, TrainerState state) {
        public Path model() {
            return dir.resolve(MODEL);
        }
    }

    private Checkpoints() {
    }

    public static String dirName(TrainerState s) {
        return s.chunksCompleted() == 0
                ? String.format("epoch-%04d", s.epochsCompleted())
                : String.format("epoch-%04d-chunk-%03d", s.epochsCompleted() + 1, s.chunksCompleted());
    }

    /** Writes a checkpoint atomically, points {@code latest} at it, and keeps the newest {@code keep}. */
    public static Path write(Path runDir, ComputationGraph net, TrainerState state, int keep) {
        Path root = runDir.resolve(DIR);
        Path tmp = root.resolve(".tmp-" + UUID.randomUUID());
        Path target = root.resolve(dirName(state));
        try {
            Files.createDirectories(tmp);
            ModelSerializer.writeModel(net, tmp.resolve(MODEL).toFile(), true);
            Files.writeString(tmp.resolve(STATE), JSON.writeValueAsString(state), StandardCharsets.UTF_8);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            move(tmp, target);
            Path latestTmp = root.resolve(".tmp-" + UUID.randomUUID() + "-" + LATEST);
            Files.writeString(latestTmp, target.getFileName() + "\n", StandardCharsets.UTF_8);
            move(latestTmp, root.resolve(LATEST));
            prune(root, keep);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    /** The newest complete checkpoint: not a {@code .tmp-} directory, with both files, state readable. */
    public static Optional<Checkpoint> findLatest(Path runDir) {
        return listComplete(runDir.resolve(DIR)).stream().max(Comparator.comparingLong(c -> c.state().position()));
    }

    /**
     * Loads a checkpoint into {@code net} (which must have the same architecture): parameters,
     * updater state, iteration and epoch counts. Returns the saved trainer state.
     */
    public static TrainerState restoreInto(Checkpoint c, ComputationGraph net) {
        ComputationGraph saved;
        try {
            saved = ModelSerializer.restoreComputationGraph(c.model().toFile(), true);
        } catch (IOException | RuntimeException e) {
            throw new UserError("checkpoint " + c.model() + " cannot be read: " + e.getMessage(), e);
        }
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

    static List<Checkpoint> listComplete(Path root) {
        List<Checkpoint> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                Matcher m = NAME.matcher(d.getFileName().toString());
                if (!Files.isDirectory(d) || !m.matches()) {
                    continue;
                }
                Path model = d.resolve(MODEL);
                Path state = d.resolve(STATE);
                if (!Files.isRegularFile(model) || Files.size(model) == 0 || !Files.isRegularFile(state)) {
                    continue;
                }
                try {
                    out.add(new Checkpoint(d, JSON.readValue(state.toFile(), TrainerState.class)));
                } catch (IOException e) {
                    // unreadable state: not a complete checkpoint
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + root, e);
        }
        return out;
    }

    private static void prune(Path root, int keep) throws IOException {
        if (keep < 1) {
            return;
        }
        List<Checkpoint> all = listComplete(root);
        all.sort(Comparator.comparingLong(c -> c.state().position()));
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i).dir());
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }
}
