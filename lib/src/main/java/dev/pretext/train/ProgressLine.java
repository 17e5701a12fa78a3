package dev.pretext.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Training progress on stderr, in one of two {@link Mode}s: on a terminal a bar redrawn in place
 * (one line left per epoch), elsewhere (a log file, CI, YARN or Kubernetes cluster mode) one plain
 * line per chunk that a log reader or {@code grep} can use.
 */
final class ProgressLine {
    /** How progress is shown. */
    enum Mode {
        /** A bar redrawn with carriage returns; a line is kept at the end of each epoch. */
        BAR,
        /** One self-contained line per chunk, no control characters. */
        LINES;

        /** System property that forces a mode ({@code bar} or {@code lines}), before the environment variable. */
        static final String PROPERTY = "pretext.progress";
        /** Environment variable that forces a mode ({@code bar} or {@code lines}). */
        static final String ENV = "PRETEXT_PROGRESS";

        /** The mode for this process: {@link #choose} with its console, property and environment. */
        static Mode detect() {
            return choose(System.console() != null, System.getProperty(PROPERTY), System.getenv());
        }

        /**
         * {@code bar} or {@code lines} forced by {@code property} or else {@code PRETEXT_PROGRESS};
         * otherwise a bar only on an interactive terminal: a console, {@code TERM} set and not
         * {@code dumb}, and not under CI ({@code CI} set). Java 17's console is null when standard
         * input or output is redirected, which is the case under spark-submit's cluster mode.
         */
        static Mode choose(boolean console, String property, Map<String, String> env) {
            String forced = property != null && !property.isBlank() ? property : env.get(ENV);
            if (forced != null && !forced.isBlank()) {
                switch (forced.trim().toLowerCase(Locale.ROOT)) {
                    case "bar":
                        return BAR;
                    case "lines":
                    case "line":
                        return LINES;
                    default:
                        // an unknown value falls through to the detection: progress is never an error
                }
            }
            String term = env.get("TERM");
            boolean terminal = console && term != null && !term.isBlank() && !term.equals("dumb");
            boolean ci = env.get("CI") != null && !env.get("CI").isBlank() && !env.get("CI").equals("false");
            return terminal && !ci ? BAR : LINES;
        }
    }

    private static final int WIDTH = 20;
    private final PrintStream out;
    private final Mode mode;
    /** BAR mode: the length of the bar line drawn last and still open (no newline yet); 0 when none. */
    private int open;

    ProgressLine(PrintStream out) {
        this(out, Mode.detect());
    }

    ProgressLine(PrintStream out, Mode mode) {
        this.out = out;
        this.mode = mode;
    }

    boolean enabled() {
        return out != null;
    }

    Mode mode() {
        return mode;
    }

    void note(String line) {
        if (out != null) {
            end();
            out.println("[train] " + line);
            out.flush();
        }
    }

    /** {@code monitorName} null: no monitor column. */
    void chunk(int epoch, int epochs, int chunk, int chunks, double fraction, double loss, double lr,
               double imagesPerS, double etaSeconds, String monitorName, double monitorValue) {
        if (out == null) {
            return;
        }
        if (mode == Mode.LINES) {
            out.println(logLine(epoch, epochs, chunk, chunks, fraction, loss, lr, imagesPerS, etaSeconds,
                    monitorName, monitorValue));
            out.flush();
            return;
        }
        String line = barLine(epoch, epochs, chunk, chunks, fraction, loss, lr, imagesPerS, etaSeconds,
                monitorName, monitorValue);
        // pad over the rest of a longer previous line
        out.print("\r" + line + " ".repeat(Math.max(0, open - line.length())));
        if (chunk == chunks) {
            out.println();
            open = 0;
        } else {
            open = line.length();
        }
        out.flush();
    }

    /** Ends an open bar line (BAR mode), so that what is printed next starts on a line of its own. */
    void end() {
        if (out != null && open > 0) {
            out.println();
            out.flush();
            open = 0;
        }
    }

    /** The LINES mode's line: every field named, in a fixed order, no bar. */
    static String logLine(int epoch, int epochs, int chunk, int chunks, double fraction, double loss, double lr,
                          double imagesPerS, double etaSeconds, String monitorName, double monitorValue) {
        String mon = monitorName == null ? "" : String.format(Locale.ROOT, " %s %.3f", monitorName, monitorValue);
        return String.format(Locale.ROOT,
                "[train] epoch %d/%d chunk %d/%d (%.1f%%) loss %.4f lr %.3g images/s %.0f%s ETA %s",
                epoch, epochs, chunk, chunks, 100 * fraction, loss, lr, imagesPerS, mon, hms(etaSeconds));
    }

    /** The BAR mode's line (without the carriage return). */
    static String barLine(int epoch, int epochs, int chunk, int chunks, double fraction, double loss, double lr,
                          double imagesPerS, double etaSeconds, String monitorName, double monitorValue) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
        String bar = "#".repeat(filled) + " ".repeat(WIDTH - filled);
        String mon = monitorName == null ? "" : String.format(Locale.ROOT, " %s %.3f", monitorName, monitorValue);
        return String.format(Locale.ROOT,
                "[train] epoch %d/%d chunk %d/%d |%s| %5.1f%% loss %.4f lr %.3g %.0f img/s%s ETA %s",
                epoch, epochs, chunk, chunks, bar, 100 * fraction, loss, lr, imagesPerS, mon, hms(etaSeconds));
    }

    static String hms(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "--:--:--";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
