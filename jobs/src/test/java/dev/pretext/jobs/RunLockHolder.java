package dev.pretext.jobs;

import java.nio.file.Path;

/** A second process for {@link RunLockTest}: takes the lock of args[0], says so, holds it until stdin closes. */
public final class RunLockHolder {
    private RunLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (RunLock lock = RunLock.acquire(Path.of(args[0]), "child")) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our stdin (or kills us)
            }
        }
    }
}
