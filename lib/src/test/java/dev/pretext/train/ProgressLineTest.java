package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pretext.train.ProgressLine.Mode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    private static final Map<String, String> TERMINAL = Map.of("TERM", "xterm-256color");

    @Test
    void aBarOnlyOnAnInteractiveTerminal() {
        assertEquals(Mode.BAR, Mode.choose(true, null, TERMINAL));
        // no console: redirected (> log), spark-submit cluster mode, a pipe
        assertEquals(Mode.LINES, Mode.choose(false, null, TERMINAL));
        assertEquals(Mode.LINES, Mode.choose(true, null, Map.of()));
        assertEquals(Mode.LINES, Mode.choose(true, null, Map.of("TERM", "dumb")));
        assertEquals(Mode.LINES, Mode.choose(true, null, Map.of("TERM", "xterm", "CI", "true")));
        assertEquals(Mode.BAR, Mode.choose(true, null, Map.of("TERM", "xterm", "CI", "false")));
    }

    @Test
    void thePropertyThenTheEnvironmentForceAMode() {
        assertEquals(Mode.LINES, Mode.choose(true, "lines", TERMINAL));
        assertEquals(Mode.BAR, Mode.choose(false, "BAR", Map.of()));
        assertEquals(Mode.BAR, Mode.choose(false, null, Map.of("PRETEXT_PROGRESS", "bar")));
        assertEquals(Mode.LINES, Mode.choose(true, null, Map.of("TERM", "xterm", "PRETEXT_PROGRESS", "lines")));
        // the property wins over the environment
        assertEquals(Mode.LINES, Mode.choose(false, "lines", Map.of("PRETEXT_PROGRESS", "bar")));
        // an unknown value is not an error: detection decides
        assertEquals(Mode.LINES, Mode.choose(false, "fancy", Map.of()));
        assertEquals(Mode.BAR, Mode.choose(true, "fancy", TERMINAL));
    }

    @Test
    void linesModePrintsOnePlainLinePerChunkWithEveryField() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressLine p = new ProgressLine(new PrintStream(buf, true, StandardCharsets.UTF_8), Mode.LINES);
        p.chunk(1, 3, 1, 2, 1 / 6.0, 4.25, 0.0125, 380.4, 125, "knn_top1", 0.2714);
        p.chunk(1, 3, 2, 2, 2 / 6.0, 4.0, 0.0125, 390, Double.NaN, null, Double.NaN);
        p.note("resumed");
        p.end();
        String s = buf.toString(StandardCharsets.UTF_8);
        assertFalse(s.contains("\r"), s);
        assertFalse(s.contains("|"), s);
        String[] lines = s.split("\n", -1);
        assertEquals(4, lines.length, s);   // three lines and the empty rest after the last newline
        assertEquals("[train] epoch 1/3 chunk 1/2 (16.7%) loss 4.2500 lr 0.0125 images/s 380 knn_top1 0.271"
                + " ETA 00:02:05", lines[0]);
        assertEquals("[train] epoch 1/3 chunk 2/2 (33.3%) loss 4.0000 lr 0.0125 images/s 390 ETA --:--:--",
                lines[1]);
        assertEquals("[train] resumed", lines[2]);
        assertEquals("", lines[3]);
    }

    @Test
    void barModeRedrawsInPlaceAndKeepsOneLinePerEpoch() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressLine p = new ProgressLine(new PrintStream(buf, true, StandardCharsets.UTF_8), Mode.BAR);
        p.chunk(1, 2, 1, 2, 0.25, 100.1234, 0.1, 12345, 3600, null, 0);   // a long line
        p.chunk(1, 2, 2, 2, 0.5, 1.0, 0.1, 1, 0, null, 0);                 // a shorter one ends the epoch
        p.chunk(2, 2, 1, 2, 0.75, 1.0, 0.1, 1, 0, null, 0);
        p.note("stopped");                                                 // starts a line of its own
        p.end();                                                           // nothing open: no-op
        String s = buf.toString(StandardCharsets.UTF_8);
        String first = ProgressLine.barLine(1, 2, 1, 2, 0.25, 100.1234, 0.1, 12345, 3600, null, 0);
        String second = ProgressLine.barLine(1, 2, 2, 2, 0.5, 1.0, 0.1, 1, 0, null, 0);
        String third = ProgressLine.barLine(2, 2, 1, 2, 0.75, 1.0, 0.1, 1, 0, null, 0);
        assertTrue(first.length() > second.length());
        assertTrue(second.contains("|##########          |"), second);
        assertEquals("\r" + first + "\r" + second + " ".repeat(first.length() - second.length()) + "\n"
                + "\r" + third + "\n" + "[train] stopped\n", s);
    }

    @Test
    void endClosesAnOpenBarOnce() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressLine p = new ProgressLine(new PrintStream(buf, true, StandardCharsets.UTF_8), Mode.BAR);
        p.chunk(1, 1, 1, 4, 0.25, 1, 0.1, 1, 0, null, 0);
        p.end();
        p.end();
        String s = buf.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\r[train] epoch 1/1 chunk 1/4 |#####"), s);
        assertTrue(s.endsWith("ETA 00:00:00\n"), s);
        assertEquals(1, s.chars().filter(c -> c == '\n').count());
    }
}
