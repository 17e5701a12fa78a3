package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PhaseTest {
    @Test
    void aLineAtTheStartAndOneWithCountsAndSecondsAtTheEnd() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Phase p = Phase.start(out, "pretrain", "caching the images");
        assertTrue(buf.toString(StandardCharsets.UTF_8).equals("pretrain: caching the images ...\n"));
        Thread.sleep(20);
        double s = p.done("5000 images per epoch");
        assertTrue(s >= 0.02 && s < 60, "seconds " + s);
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[1].matches("pretrain: caching the images: done, 5000 images per epoch, \\d+\\.\\d s"),
                lines[1]);
    }
}
