package dev.pretext.train;

import java.io.PrintStream;
import java.util.Locale;

/** One line per chunk on stderr: a bar, percent of the run, loss, lr, throughput and ETA. */
final class ProgressLine {
    private static final int WIDTH = 20;
    private final PrintStream out;

    ProgressLine(PrintStream out) {
        this.out = out;
    }

    boolean enabled() {
        return out != null;
    }

    void note(String line) {
        if (out != null) {
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
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
        String bar = "#".repeat(filled) + " ".repeat(WIDTH - filled);
        String mon = monitorName == null ? "" : String.format(Locale.ROOT, " %s %.3f", monitorName, monitorValue);
        out.println(String.format(Locale.ROOT,
                "[train] epoch %d/%d chunk %d/%d |%s| %5.1f%% loss %.4f lr %.3g %.0f img/s%s ETA %s",
                epoch, epochs, chunk, chunks, bar, 100 * fraction, loss, lr, imagesPerS, mon, hms(etaSeconds)));
        out.flush();
    }

    static String hms(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "--:--:--";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
