package dev.pretext.cli;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;

/**
 * Keeps standard output for results: ND4J M2.1's {@code SameDiff.createGradFunction} prints
 * "Added differentiated op ..." with {@code System.out.println} (unconditionally, not through a
 * logger) every time a SameDiff layer such as the NT-Xent loss builds its gradient, which would
 * bury the summary table. Those lines are dropped; everything else passes through.
 */
final class QuietStdout extends PrintStream {
    private static final String NOISE = "Added differentiated op ";

    private QuietStdout(PrintStream out) {
        super(out, true);
    }

    static void install() {
        if (!(System.out instanceof QuietStdout)) {
            System.setOut(new QuietStdout(new PrintStream(new FileOutputStream(FileDescriptor.out), true)));
        }
    }

    @Override
    public void println(String x) {
        if (x != null && x.startsWith(NOISE)) {
            return;
        }
        super.println(x);
    }
}
