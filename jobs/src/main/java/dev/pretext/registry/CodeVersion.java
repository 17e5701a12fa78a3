package dev.pretext.registry;

import dev.pretext.data.Manifest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The code a registry version was trained by: the jar's version ({@link Manifest#currentCodeVersion},
 * {@code dev} outside a jar) and, where the checkout is at hand ({@code $PRETEXT_HOME}, which
 * {@code bin/pretext} sets, else the working directory), {@code git describe --always --dirty}.
 * A cluster driver without the checkout records the jar's version alone.
 */
public final class CodeVersion {
    private static volatile String cached;

    private CodeVersion() {
    }

    public static String current() {
        String c = cached;
        if (c == null) {
            String git = gitDescribe();
            c = Manifest.currentCodeVersion() + (git == null ? "" : " (git " + git + ")");
            cached = c;
        }
        return c;
    }

    private static String gitDescribe() {
        String home = System.getenv("PRETEXT_HOME");
        File dir = new File(home == null || home.isBlank() ? System.getProperty("user.dir") : home);
        try {
            Process p = new ProcessBuilder("git", "-C", dir.getPath(), "describe", "--always", "--dirty", "--tags")
                    .redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;   // no git here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
