package dev.pretext.jobs;

import dev.pretext.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The lock of a run directory, {@code <run>/.lock}: one process at a time trains or resumes a run.
 * The file holds the owner's pid, host and start time. It is created atomically (written to a
 * temporary file, then hard-linked to {@code .lock}, which fails when the lock exists), so two
 * processes cannot both take it. A lock left by a process that died on this host (its pid no longer
 * alive) is taken over, under an OS file lock on {@code .lock.takeover} so that two processes
 * cleaning up the same stale lock cannot both win. A lock from another host cannot be checked and
 * is refused. {@link #close()} removes the lock (only if it is still this holder's), and a
 * shutdown hook does the same when the JVM exits first (Ctrl-C).
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".lock";
    static final String TAKEOVER = ".lock.takeover";

    private final Path file;
    private final String content;
    private final Thread hook;
    private boolean released;

    private RunLock(Path file, String content) {
        this.file = file;
        this.content = content;
        this.hook = new Thread(this::release, "pretext-run-lock-release");
        Runtime.getRuntime().addShutdownHook(hook);
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
        Path file = runDir.resolve(FILE);
        Owner me = new Owner(ProcessHandle.current().pid(), thisHost(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        String content = me.render() + "token=" + UUID.randomUUID() + "\n";
        try {
            Files.createDirectories(runDir);
            if (tryCreate(file, content)) {
                return new RunLock(file, content);
            }
            String existing = read(file);
            Optional<Owner> owner = Owner.parse(existing);
            if (owner.isPresent() && owner.get().deadOnThisHost()) {
                if (takeOver(runDir, file, existing, content)) {
                    System.err.printf("run %s: took over the lock of a process that is gone (pid %d, host %s, since %s)%n",
                            runName, owner.get().pid(), owner.get().host(), owner.get().since());
                    return new RunLock(file, content);
                }
                existing = read(file);
                owner = Owner.parse(existing);
            }
            throw inUse(runName, file, owner);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the run directory " + runDir, e);
        }
    }

    private static UserError inUse(String runName, Path file, Optional<Owner> owner) {
        if (owner.isEmpty()) {
            // being written this instant, or not ours: either way another process claims the run
            return new UserError("run " + runName + " is in use by another process (" + file
                    + " exists; delete it if no process uses the run)");
        }
        Owner o = owner.get();
        String hint = o.host().equals(thisHost()) ? ""
                : "; if that process is gone, delete " + file;
        return new UserError("run " + runName + " is in use by another process (pid " + o.pid() + ", host " + o.host()
                + ", since " + o.since() + ")" + hint);
    }

    /** Creates {@code file} holding {@code content} atomically; false when it exists. */
    private static boolean tryCreate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(FILE + ".tmp-" + UUID.randomUUID());
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
            Files.createLink(file, tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            // no hard links on this file system: create-then-write (readers tolerate an empty file)
            try {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e2) {
                return false;
            }
            Files.writeString(file, content, StandardCharsets.UTF_8);
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Replaces the stale lock whose text is {@code stale}, unless another process got there first. */
    private static boolean takeOver(Path runDir, Path file, String stale, String content) throws IOException {
        try (FileChannel ch = FileChannel.open(runDir.resolve(TAKEOVER), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            String now;
            try {
                now = read(file);
            } catch (NoSuchFileException e) {
                now = null;
            }
            if (now != null && !now.equals(stale)) {
                return false;   // replaced meanwhile
            }
            Files.deleteIfExists(file);
            return tryCreate(file, content);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    static String thisHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h == null || h.isBlank() ? "localhost" : h;
        }
    }

    public Path file() {
        return file;
    }

    /** Removes the lock file if it is still this holder's. Idempotent. */
    private synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        try {
            if (Files.exists(file) && read(file).equals(content)) {
                Files.delete(file);
            }
        } catch (IOException ignored) {
            // the run directory may be gone (a failed new run is removed); nothing to release
        }
    }

    @Override
    public void close() {
        release();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down: the hook runs (or ran) release(), which is idempotent
        }
    }
}
