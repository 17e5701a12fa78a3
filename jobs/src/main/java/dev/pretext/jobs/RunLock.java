package dev.pretext.jobs;

import dev.pretext.UserError;
import dev.pretext.data.FsDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The lock of a run directory, {@code <run>/.lock}: one process at a time trains or resumes a run.
 * The file holds the owner's pid, host and start time. It is created atomically
 * ({@link FsDir#createExclusive}: a hard link locally, create-without-overwrite at the HDFS namenode),
 * so two processes cannot both take it, on a local disk or on {@code hdfs://}. A lock left by a
 * process that died on this host (its pid no longer alive) is taken over, while holding
 * {@code .lock.takeover} (an OS file lock locally; elsewhere the file itself, created exclusively
 * and removed after) so that two processes cleaning up the same stale lock cannot both win. A lock
 * from another host cannot be checked and is refused. {@link #close()} removes the lock (only if it
 * is still this holder's), and a shutdown hook does the same when the JVM exits first (Ctrl-C).
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".lock";
    static final String TAKEOVER = ".lock.takeover";

    private final FsDir file;
    private final String content;
    private final Runnable hook;
    private boolean released;

    private RunLock(FsDir file, String content) {
        this.file = file;
        this.content = content;
        this.hook = this::release;
        // Hadoop's hook manager, ahead of the hook that closes the cached file systems: the lock of
        // a run on hdfs:// is removed before its client goes away
        ShutdownHookManager.get().addShutdownHook(hook, FileSystem.SHUTDOWN_HOOK_PRIORITY + 10);
    }

    /** What a lock file says about its owner. */
    public record Owner(long pid, String host, String since) {
        static Optional<Owner> parse(String text) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    kv.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            try {
                return Optional.of(new Owner(Long.parseLong(kv.get("pid")), kv.getOrDefault("host", "?"),
                        kv.getOrDefault("since", "?")));
            } catch (NumberFormatException | NullPointerException e) {
                return Optional.empty();
            }
        }

        String render() {
            return "pid=" + pid + "\nhost=" + host + "\nsince=" + since + "\n";
        }

        boolean deadOnThisHost() {
            return host.equals(thisHost()) && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        }
    }

    /**
     * Takes the lock of {@code runDir} (creating the directory) or throws a {@link UserError}
     * naming the owner. {@code runName} is how the message names the run (its id).
     */
    public static RunLock acquire(Path runDir, String runName) {
        return acquire(FsDir.local(runDir), runName);
    }

    /** {@link #acquire(Path, String)} for a run directory on any Hadoop file system. */
    public static RunLock acquire(FsDir runDir, String runName) {
        return acquireFor(runDir, "run " + runName);
    }

    /**
     * The lock of any directory that one process at a time may write ({@code <dir>/.lock}), e.g. a
     * model registry; {@code subject} is how messages name it ("registry hdfs://nn/reg").
     */
    public static RunLock acquireFor(FsDir runDir, String subject) {
        FsDir file = runDir.child(FILE);
        Owner me = new Owner(ProcessHandle.current().pid(), thisHost(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        String content = me.render() + "token=" + UUID.randomUUID() + "\n";
        try {
            runDir.mkdirs();
            if (file.createExclusive(content)) {
                return new RunLock(file, content);
            }
            String existing = read(file);
            Optional<Owner> owner = Owner.parse(existing);
            if (owner.isPresent() && owner.get().deadOnThisHost()) {
                if (takeOver(runDir, file, existing, content)) {
                    System.err.printf("%s: took over the lock of a process that is gone (pid %d, host %s, since %s)%n",
                            subject, owner.get().pid(), owner.get().host(), owner.get().since());
                    return new RunLock(file, content);
                }
                existing = read(file);
                owner = Owner.parse(existing);
            }
            throw inUse(subject, file, owner);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + subject + " (" + runDir + ")", e);
        }
    }

    private static UserError inUse(String subject, FsDir file, Optional<Owner> owner) {
        if (owner.isEmpty()) {
            // being written this instant, or not ours: either way another process claims the run
            return new UserError(subject + " is in use by another process (" + file
                    + " exists; delete it if no process uses the run)");
        }
        Owner o = owner.get();
        String hint = o.host().equals(thisHost()) ? ""
                : "; if that process is gone, delete " + file;
        return new UserError(subject + " is in use by another process (pid " + o.pid() + ", host " + o.host()
                + ", since " + o.since() + ")" + hint);
    }

    /** Replaces the stale lock whose text is {@code stale}, unless another process got there first. */
    private static boolean takeOver(FsDir runDir, FsDir file, String stale, String content) throws IOException {
        FsDir takeover = runDir.child(TAKEOVER);
        if (takeover.localPath().isPresent()) {
            try (FileChannel ch = FileChannel.open(takeover.localPath().get(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return replaceIfStill(file, stale, content);
            }
        }
        if (!takeover.createExclusive(content)) {
            return false;   // another process is taking over
        }
        try {
            return replaceIfStill(file, stale, content);
        } finally {
            takeover.deleteIfExists();
        }
    }

    private static boolean replaceIfStill(FsDir file, String stale, String content) throws IOException {
        String now;
        try {
            now = read(file);
        } catch (FileNotFoundException | java.nio.file.NoSuchFileException e) {
            now = null;
        }
        if (now != null && !now.equals(stale)) {
            return false;   // replaced meanwhile
        }
        file.deleteIfExists();
        return file.createExclusive(content);
    }

    private static String read(FsDir file) throws IOException {
        return file.readString();
    }

    static String thisHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h == null || h.isBlank() ? "localhost" : h;
        }
    }

    public FsDir file() {
        return file;
    }

    /** Removes the lock file if it is still this holder's. Idempotent. */
    private synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        try {
            if (file.exists() && read(file).equals(content)) {
                file.deleteIfExists();
            }
        } catch (IOException ignored) {
            // the run directory may be gone (a failed new run is removed); nothing to release
        }
    }

    @Override
    public void close() {
        release();
        try {
            ShutdownHookManager.get().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down: the hook runs (or ran) release(), which is idempotent
        }
    }
}
