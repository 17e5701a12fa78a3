package dev.pretext.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path tmp;

    @Test
    void truncatingToACheckpointDropsTheRowsOfFailedAttempts() throws Exception {
        MetricsLog log = new MetricsLog(tmp);
        assertEquals(0, log.truncateAfter(0, 0));   // no file yet
        // epoch 1 complete (2 chunks), then an attempt that crashed in epoch 2 after chunk 1,
        // then a second attempt with other chunking, and a line cut short
        log.append(Map.of("epoch", 1, "chunk", 1));
        log.append(Map.of("epoch", 1, "chunk", 2));
        log.append(Map.of("epoch", 2, "chunk", 1));
        log.append(Map.of("epoch", 2, "chunk", 2));
        Files.writeString(log.file(), "{\"epoch\": 3, \"chu", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(2, log.truncateAfter(1, 1));
        List<String> lines = Files.readAllLines(log.file());
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(2).contains("\"epoch\":2") && lines.get(2).contains("\"chunk\":1"), lines.get(2));
        assertEquals(0, log.truncateAfter(1, 1));
        assertEquals(3, log.truncateAfter(0, 0));   // a fresh start keeps nothing
        assertEquals(List.of(), Files.readAllLines(log.file()));
    }
}
