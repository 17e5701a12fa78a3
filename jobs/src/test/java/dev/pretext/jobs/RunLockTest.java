package dev.pretext.jobs;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** One process per run directory: a second is refused while the first lives; a dead one's lock is taken over. */
class RunLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondProcessIsRefusedUntilTheFirstEndsAndADeadOnesLockIsTakenOver() throws Exception {
        Path run = dir.resolve("c1");
        Process child = holder(run);
        try {
            UserError e = assertThrows(UserError.class, () -> RunLock.acquire(run, "c1"));
            assertTrue(e.getMessage().startsWith("run c1 is in use by another process (pid " + child.pid() + ", host "),
                    e.getMessage());
            assertTrue(e.getMessage().contains(", since "), e.getMessage());

            // killed without a chance to clean up: its lock stays behind, stale
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertTrue(Files.readString(run.resolve(RunLock.FILE)).contains("pid=" + child.pid()));
            try (RunLock lock = RunLock.acquire(run, "c1")) {
                assertTrue(lock.file().readString().contains("pid=" + ProcessHandle.current().pid()));
            }
            assertFalse(Files.exists(run.resolve(RunLock.FILE)), "released on close");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aSecondHolderInTheSameProcessIsRefusedAndTheLockIsReleasedOnClose() {
        Path run = dir.resolve("c2");
        try (RunLock first = RunLock.acquire(run, "c2")) {
            UserError e = assertThrows(UserError.class, () -> RunLock.acquire(run, "c2"));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        RunLock.acquire(run, "c2").close();
    }

    @Test
    void aStaleLockOfADeadPidIsTakenOver() throws Exception {
        Path run = dir.resolve("c3");
        Files.createDirectories(run);
        Process gone = new ProcessBuilder(java(), "-version").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        gone.waitFor(60, TimeUnit.SECONDS);
        Files.writeString(run.resolve(RunLock.FILE), "pid=" + gone.pid() + "\nhost=" + RunLock.thisHost()
                + "\nsince=2026-01-01T00:00:00Z\n");
        try (RunLock lock = RunLock.acquire(run, "c3")) {
            assertFalse(lock.file().readString().contains("pid=" + gone.pid() + "\n"));
        }
    }

    @Test
    void aLockFromAnotherHostIsRefusedWithWhatToDo() throws Exception {
        Path run = dir.resolve("c4");
        Files.createDirectories(run);
        Files.writeString(run.resolve(RunLock.FILE), "pid=1\nhost=elsewhere.example\nsince=2026-01-01T00:00:00Z\n");
        UserError e = assertThrows(UserError.class, () -> RunLock.acquire(run, "c4"));
        assertTrue(e.getMessage().contains("(pid 1, host elsewhere.example, since 2026-01-01T00:00:00Z)"), e.getMessage());
        assertTrue(e.getMessage().contains("delete " + run.resolve(RunLock.FILE)), e.getMessage());
    }

    private static Process holder(Path run) throws Exception {
        Process p = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                RunLockHolder.class.getName(), run.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", r.readLine(), "the child process takes the lock");
        return p;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
