package dev.pretext.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pretext.UserError;
import dev.pretext.data.FsDir;
import dev.pretext.jobs.RunLock;
import dev.pretext.train.Checkpoints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model registry on any Hadoop file system (a local path or {@code hdfs://}), written by
 * {@code bin/pretext retrain} and read and steered by {@code bin/pretext registry}:
 *
 * <pre>
 * REGISTRY/
 *   .lock               held by a retrain for its whole cycle, and by promote / rollback ({@link RunLock})
 *   champion            JSON: the champion version, the stack rollback pops, when, by what, why
 *   history.jsonl       one line per change of the champion pointer
 *   images/             the images table retrain ingests when data.table is empty
 *   versions/vNNNN/     a run directory (config.conf, checkpoints/, metrics.jsonl, summary.json)
 *                       plus version.json: status, lineage, training summary, holdout scores, gate
 * </pre>
 *
 * The pointer is one small file replaced atomically ({@link FsDir#writeAtomically}: a rename with
 * overwrite, one namenode operation on HDFS), so a reader sees the old champion or the new one,
 * never neither; a process killed before that rename leaves the champion as it was.
 */
public final class ModelRegistry {
    public static final String CHAMPION = "champion";
    public static final String VERSIONS = "versions";
    public static final String HISTORY = "history.jsonl";
    public static final String RECORD = "version.json";
    public static final String IMAGES = "images";

    public static final String TRAINING = "training";
    public static final String EVALUATING = "evaluating";
    public static final String PROMOTED = "promoted";
    public static final String REJECTED = "rejected";
    public static final String FAILED = "failed";

    /** How many earlier champions the pointer remembers for {@link #rollback}. */
    static final int STACK = 50;
    private static final Pattern NAME = Pattern.compile("v(\\d{4,})");
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    /** The champion pointer: {@code previous} is what {@link #rollback} restores, newest first. */
    public record Pointer(String version, List<String> previous, String since, String by, String reason) {
    }

    private final FsDir root;

    public ModelRegistry(FsDir root) {
        this.root = root;
    }

    /** {@code location} as a user gives it: a local path or any Hadoop file system URI. */
    public static ModelRegistry at(String location) {
        return new ModelRegistry(FsDir.of(location));
    }

    public FsDir root() {
        return root;
    }

    @Override
    public String toString() {
        return root.toString();
    }

    /** Takes the registry's lock, or throws a {@link UserError} naming the process that holds it. */
    public RunLock lock() {
        return RunLock.acquireFor(root, "registry " + root);
    }

    /** {@code v0003}, {@code v3} and {@code 3} all name version v0003. */
    public static String versionName(String given) {
        String g = given.trim();
        Matcher m = Pattern.compile("v?(\\d+)").matcher(g);
        if (!m.matches()) {
            throw new UserError("'" + given + "' is not a version (v0001, v1 or 1)");
        }
        return String.format("v%04d", Long.parseLong(m.group(1)));
    }

    private static long number(String version) {
        return Long.parseLong(version.substring(1));
    }

    /** The versions, oldest first. */
    public List<String> versions() {
        List<String> out = new ArrayList<>();
        try {
            for (FsDir d : root.child(VERSIONS).list()) {
                if (NAME.matcher(d.name()).matches() && d.isDirectory()) {
                    out.add(d.name());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root.child(VERSIONS), e);
        }
        out.sort((a, b) -> Long.compare(number(a), number(b)));
        return out;
    }

    public FsDir dir(String version) {
        return root.child(VERSIONS).child(version);
    }

    public boolean exists(String version) {
        return dir(version).child(RECORD).isFile();
    }

    /** A version's {@code version.json}; a {@link UserError} listing the versions when it has none. */
    public ObjectNode record(String version) {
        FsDir f = dir(version).child(RECORD);
        if (!f.isFile()) {
            throw new UserError("registry " + root + " has no version " + version + " (versions: "
                    + (versions().isEmpty() ? "none" : String.join(", ", versions())) + ")");
        }
        try {
            return (ObjectNode) JSON.readTree(f.readString());
        } catch (IOException | ClassCastException e) {
            throw new UserError("cannot read " + f + ": " + e.getMessage());
        }
    }

    /** Replaces a version's {@code version.json} atomically. */
    public void writeRecord(String version, ObjectNode record) throws IOException {
        dir(version).child(RECORD).writeAtomically(JSON.writeValueAsString(record) + "\n");
    }

    /** A new, empty version directory, numbered after the newest one. Call it holding the lock. */
    public String create() throws IOException {
        List<String> all = versions();
        String v = String.format("v%04d", all.isEmpty() ? 1 : number(all.get(all.size() - 1)) + 1);
        FsDir d = dir(v);
        if (d.exists()) {
            throw new IOException("version directory " + d + " exists already");
        }
        d.mkdirs();
        return v;
    }

    public Optional<Pointer> champion() {
        FsDir f = root.child(CHAMPION);
        if (!f.isFile()) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(f.readString());
            List<String> prev = new ArrayList<>();
            n.path("previous").forEach(p -> prev.add(p.asText()));
            return Optional.of(new Pointer(n.path("version").asText(), List.copyOf(prev), n.path("since").asText(),
                    n.path("by").asText(), n.path("reason").asText()));
        } catch (IOException e) {
            throw new UserError("cannot read the champion pointer " + f + ": " + e.getMessage());
        }
    }

    /** The version {@link #rollback} would restore: the newest earlier champion still in the registry. */
    public Optional<String> rollbackTarget() {
        return champion().flatMap(p -> p.previous().stream().filter(this::exists).findFirst());
    }

    /**
     * Makes {@code version} the champion (the current one goes on the rollback stack). It must have
     * a complete checkpoint. Call it holding the lock.
     */
    public Pointer promote(String version, String by, String reason) throws IOException {
        record(version);   // exists
        if (Checkpoints.findLatest(dir(version)).isEmpty()) {
            throw new UserError("version " + version + " has no complete checkpoint to serve; it cannot be champion");
        }
        Optional<Pointer> now = champion();
        if (now.isPresent() && now.get().version().equals(version)) {
            throw new UserError(version + " is the champion already");
        }
        Set<String> prev = new LinkedHashSet<>();
        now.ifPresent(p -> {
            prev.add(p.version());
            prev.addAll(p.previous());
        });
        prev.remove(version);
        Pointer p = new Pointer(version, trimmed(prev), now(), by, reason);
        write(p, "promote", now.map(Pointer::version).orElse(null));
        return p;
    }

    /** Moves the champion back to the previous promoted version that still exists. Call it holding the lock. */
    public Pointer rollback(String by, String reason) throws IOException {
        Pointer now = champion().orElseThrow(() -> new UserError("registry " + root + " has no champion to roll back"));
        List<String> prev = now.previous();
        int i = 0;
        while (i < prev.size() && !exists(prev.get(i))) {
            i++;
        }
        if (i == prev.size()) {
            throw new UserError("registry " + root + ": no earlier champion of " + now.version() + " is left to roll back to"
                    + (prev.isEmpty() ? "" : " (" + String.join(", ", prev) + " were deleted)"));
        }
        Pointer p = new Pointer(prev.get(i), trimmed(prev.subList(i + 1, prev.size())), now(), by, reason);
        write(p, "rollback", now.version());
        return p;
    }

    private List<String> trimmed(java.util.Collection<String> versions) {
        return versions.stream().filter(this::exists).limit(STACK).toList();
    }

    private void write(Pointer p, String action, String from) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("version", p.version());
        ArrayNode prev = n.putArray("previous");
        p.previous().forEach(prev::add);
        n.put("since", p.since());
        n.put("by", p.by());
        n.put("reason", p.reason());
        // the one write that changes the champion: atomic, readers see the old pointer or this one
        root.child(CHAMPION).writeAtomically(JSON.writeValueAsString(n) + "\n");
        ObjectNode h = LINE.createObjectNode();
        h.put("at", p.since());
        h.put("action", action);
        h.put("version", p.version());
        h.put("from", from);
        h.put("by", p.by());
        h.put("reason", p.reason());
        root.child(HISTORY).append(LINE.writeValueAsString(h) + "\n");
    }

    /** The pointer changes, oldest first. */
    public List<JsonNode> history() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        FsDir f = root.child(HISTORY);
        if (!f.isFile()) {
            return out;
        }
        for (String line : f.readString().split("\n")) {
            if (!line.isBlank()) {
                out.add(LINE.readTree(line));
            }
        }
        return out;
    }

    /**
     * Deletes all but the newest {@code keep} versions, never the champion nor the version
     * {@link #rollback} would restore. Returns the deleted versions. Call it holding the lock.
     */
    public List<String> prune(int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1, got " + keep);
        }
        Set<String> kept = new LinkedHashSet<>();
        champion().ifPresent(p -> kept.add(p.version()));
        rollbackTarget().ifPresent(kept::add);
        List<String> all = versions();
        kept.addAll(all.subList(Math.max(0, all.size() - keep), all.size()));
        List<String> deleted = new ArrayList<>();
        for (String v : all) {
            if (!kept.contains(v)) {
                dir(v).deleteIfExists();
                deleted.add(v);
            }
        }
        return deleted;
    }

    /**
     * Versions left {@code training} or {@code evaluating} by a process that died (found by the next
     * holder of the lock): marked {@code failed}, with {@code note}; one the pointer names (killed
     * after the pointer changed, before its record did) becomes {@code promoted}. Returns what it did.
     */
    public List<String> markInterrupted(String note) throws IOException {
        List<String> out = new ArrayList<>();
        String champ = champion().map(Pointer::version).orElse(null);
        for (String v : versions()) {
            if (!exists(v)) {
                continue;
            }
            ObjectNode r = record(v);
            String status = r.path("status").asText();
            if (!status.equals(TRAINING) && !status.equals(EVALUATING)) {
                continue;
            }
            if (v.equals(champ)) {
                r.put("status", PROMOTED);
                out.add(v + ": promoted (the champion pointer names it; its record was not updated)");
            } else {
                r.put("status", FAILED);
                r.put("error", "interrupted while " + status + ": " + note);
                out.add(v + ": failed (interrupted while " + status + ")");
            }
            writeRecord(v, r);
        }
        return out;
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A new record's common fields. */
    public static ObjectNode newRecord(String version) {
        ObjectNode r = JSON.createObjectNode();
        r.put("version", version);
        r.put("created", now());
        return r;
    }

    public static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
