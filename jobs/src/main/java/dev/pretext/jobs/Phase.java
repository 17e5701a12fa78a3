package dev.pretext.jobs;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A line when a long, otherwise silent phase of a stage starts (caching, joining, sampling), and
 * one when it ends with what it produced and its seconds, so a log shows where the time went.
 */
public final class Phase {
    private final PrintStream out;
    private final String label;
    private final String what;
    private final long t0 = System.nanoTime();

    private Phase(PrintStream out, String label, String what) {
        this.out = out;
        this.label = label;
        this.what = what;
    }

    /** Prints {@code "label: what ..."} on stderr. */
    public static Phase start(String label, String what) {
        return start(System.err, label, what);
    }

    public static Phase start(PrintStream out, String label, String what) {
        out.printf(Locale.ROOT, "%s: %s ...%n", label, what);
        out.flush();
        return new Phase(out, label, what);
    }

    /** Prints {@code "label: what: done, result, S s"}; returns the seconds. */
    public double done(String result) {
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "%s: %s: done, %s, %.1f s%n", label, what, result, s);
        out.flush();
        return s;
    }
}
