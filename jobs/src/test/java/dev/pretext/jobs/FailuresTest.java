package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FailuresTest {
    @Test
    void outOfMemoryNamesTheSettingToRaise() {
        Throwable wrapped = new RuntimeException("Job aborted", new OutOfMemoryError("Java heap space"));
        assertTrue(Failures.outOfMemory(wrapped));
        String m = Failures.describe(wrapped);
        assertTrue(m.contains("out of memory") && m.contains("PRETEXT_HEAP") && m.contains("spark.executor.memory"), m);
        // executor-side failures often arrive as text only
        Throwable text = new RuntimeException("Task failed: java.lang.OutOfMemoryError: Java heap space\n\tat ...");
        assertTrue(Failures.outOfMemory(text));
        assertFalse(Failures.describe(text).contains("\n"), "one line");
        // ND4J's off-heap limit is another setting
        Throwable offHeap = new RuntimeException("Physical memory usage is too high: physicalBytes > maxPhysicalBytes");
        assertTrue(Failures.describe(offHeap).contains("PRETEXT_OFFHEAP"), Failures.describe(offHeap));
    }

    @Test
    void otherFailuresAreTheirFirstLine() {
        Throwable t = new IllegalStateException("broken\nsecond line");
        assertFalse(Failures.outOfMemory(t));
        assertEquals("IllegalStateException: broken", Failures.describe(t));
    }
}
