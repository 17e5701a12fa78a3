package dev.pretext.cli;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Ctrl-C (SIGINT, or any JVM shutdown while a command runs) as the user sees it: one line saying
 * the command was interrupted, what its run kept, and the command that resumes it, instead of the
 * failure Spark's own shutdown hook causes (it stops the SparkContext, which fails the running job
 * with "cancelled because SparkContext was shut down").
 *
 * <p>Two hooks in Hadoop's {@code ShutdownHookManager}, the one Spark registers its hook in, which
 * runs hooks one after another by priority: {@link #EARLY_PRIORITY} runs before Spark's
 * ({@code FileSystem.SHUTDOWN_HOOK_PRIORITY + 30}) and marks the command interrupted, so the failure
 * the main thread then sees is reported by {@link Main} as an interruption; {@link #LATE_PRIORITY}
 * runs after Spark's, gives the main thread a few seconds to print that line, and prints it itself
 * when the main thread was not in a Spark job (and so did not fail).
 */
final class Interrupts {
    static final int EARLY_PRIORITY = 1000;
    static final int LATE_PRIORITY = 1;
    /** Exit status of a command stopped by SIGINT (128 + 2), as the shell reports it. */
    static final int EXIT = 130;

    private static final int RUNNING = 0;
    private static final int INTERRUPTED = 1;
    private static final int DONE = 2;
    private static final AtomicInteger STATE = new AtomicInteger(DONE);
    private static volatile CountDownLatch reported = new CountDownLatch(1);
    private static volatile Supplier<String> context = () -> "";
    private static volatile String command = "";
    private static boolean installed;

    private Interrupts() {
    }

    /** Installs the hooks (once per JVM). Without Hadoop on the class path, a plain JVM hook marks the flag. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        try {
            org.apache.hadoop.util.ShutdownHookManager m = org.apache.hadoop.util.ShutdownHookManager.get();
            m.addShutdownHook(Interrupts::markInterrupted, EARLY_PRIORITY);
            m.addShutdownHook(Interrupts::reportIfSilent, LATE_PRIORITY);
        } catch (LinkageError e) {
            Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::markInterrupted));
        }
    }

    /** A command starts: from now on a shutdown is an interruption of {@code name}. */
    static void started(String name) {
        command = name;
        context = () -> "";
        reported = new CountDownLatch(1);
        STATE.set(RUNNING);
    }

    /**
     * What the interruption line adds after "interrupted": what the run kept and how to resume,
     * computed when the line is printed (after the run's own cleanup).
     */
    static void context(Supplier<String> keptAndResume) {
        context = keptAndResume;
    }

    /** The command finished (either way): a shutdown now is the normal exit. */
    static void finished() {
        STATE.compareAndSet(RUNNING, DONE);
    }

    static boolean interrupted() {
        return STATE.get() == INTERRUPTED;
    }

    static void markInterrupted() {
        STATE.compareAndSet(RUNNING, INTERRUPTED);
    }

    /** The one line for an interrupted command. */
    static String message() {
        String c;
        try {
            c = context.get();
        } catch (RuntimeException e) {
            c = "";
        }
        return "interrupted: '" + command + "' stopped" + (c.isEmpty() ? "" : "; " + c);
    }

    /** Prints the line once (from the main thread's failure or from the late hook). */
    static void report(java.io.PrintStream err) {
        synchronized (Interrupts.class) {
            if (reported.getCount() == 0) {
                return;
            }
            err.println(message());
            err.flush();
            reported.countDown();
        }
    }

    private static void reportIfSilent() {
        if (!interrupted()) {
            return;
        }
        try {
            reported.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        report(System.err);
    }

    /** The command line that runs the command again: the launcher, then the arguments, shell-quoted. */
    static String commandLine(List<String> args) {
        StringBuilder sb = new StringBuilder(launcher());
        for (String a : args) {
            sb.append(' ').append(quote(a));
        }
        return sb.toString();
    }

    /** How the user started Pretext: {@code $PRETEXT_LAUNCHER} (set by bin/pretext), else bin/pretext. */
    static String launcher() {
        String l = System.getenv("PRETEXT_LAUNCHER");
        return l == null || l.isBlank() ? "bin/pretext" : l;
    }

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./=:,@%+-]+");

    static String quote(String s) {
        return SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
