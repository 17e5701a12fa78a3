package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Optional;

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
    void theHeapIsPretextHeapAndTheExecutorsMemory() {
        Throwable t = new RuntimeException("fit failed", new OutOfMemoryError("Java heap space"));
        assertEquals(Optional.of(Failures.Limit.HEAP), Failures.limit(t));
        String m = Failures.describe(t);
        assertTrue(m.startsWith("out of memory (OutOfMemoryError: Java heap space): the JVM heap is full;"), m);
        assertTrue(m.contains("PRETEXT_HEAP") && m.contains("spark.executor.memory") && m.contains("train.batch-size"), m);
        assertFalse(m.contains("PRETEXT_OFFHEAP"), m);
    }

    /** JavaCPP 1.5.7's Pointer.deallocator, under the "Cannot allocate new FloatPointer" its callers throw. */
    @Test
    void javacppsMaxBytesIsPretextOffheap() {
        OutOfMemoryError limit = new OutOfMemoryError(
                "Failed to allocate memory within limits: totalBytes (7285M + 1024M) > maxBytes (8192M)");
        OutOfMemoryError wrapper = new OutOfMemoryError(
                "Cannot allocate new FloatPointer(268435456): totalBytes = 7285M, physicalBytes = 9012M");
        wrapper.initCause(limit);
        Throwable t = new IllegalStateException("op failed", wrapper);
        assertEquals(Optional.of(Failures.Limit.OFF_HEAP_MAX_BYTES), Failures.limit(t));
        String m = Failures.describe(t);
        assertTrue(m.contains("maxBytes (8192M)"), "the message that names the limit: " + m);
        assertTrue(m.contains("PRETEXT_OFFHEAP ") && !m.contains("PRETEXT_OFFHEAP_PHYS"), m);
        assertTrue(m.contains("-Dorg.bytedeco.javacpp.maxbytes") && m.contains("spark.executor.memoryOverhead")
                && m.contains("train.batch-size"), m);
        // older JavaCPP said it differently
        Throwable old = new OutOfMemoryError("Cannot allocate 7516192768 + 1073741824 bytes (> Pointer.maxBytes)");
        assertEquals(Optional.of(Failures.Limit.OFF_HEAP_MAX_BYTES), Failures.limit(old));
    }

    /** The resident-memory check, here as an executor's failure that reached the driver as text. */
    @Test
    void javacppsMaxPhysicalBytesIsPretextOffheapPhys() {
        Throwable spark = new RuntimeException("Job aborted due to stage failure: Task 0 in stage 12.0 failed 1 times,"
                + " most recent failure: Lost task 0.0 in stage 12.0 (TID 40) (127.0.0.1 executor driver):"
                + " java.lang.OutOfMemoryError: Physical memory usage is too high: physicalBytes (14400M) >"
                + " maxPhysicalBytes (14336M)\n\tat org.bytedeco.javacpp.Pointer.deallocator(Pointer.java:695)");
        assertEquals(Optional.of(Failures.Limit.OFF_HEAP_MAX_PHYSICAL_BYTES), Failures.limit(spark));
        String m = Failures.describe(spark);
        assertTrue(m.startsWith("out of memory (OutOfMemoryError: Physical memory usage is too high: physicalBytes"
                + " (14400M) > maxPhysicalBytes (14336M)):"), m);
        assertTrue(m.contains("PRETEXT_OFFHEAP_PHYS") && m.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes")
                && m.contains("spark.executor.memoryOverhead") && m.contains("train.batch-size"), m);
        assertFalse(m.contains("\n"), "one line");
        OutOfMemoryError wrapper = new OutOfMemoryError(
                "Cannot allocate new BytePointer(64): totalBytes = 310M, physicalBytes = 14400M");
        wrapper.initCause(new OutOfMemoryError("Cannot allocate 310M + 64 bytes (> Pointer.maxPhysicalBytes)"));
        assertEquals(Optional.of(Failures.Limit.OFF_HEAP_MAX_PHYSICAL_BYTES), Failures.limit(wrapper));
    }

    @Test
    void aNativeAllocationTheSystemRefusedIsNotALimitToRaise() {
        OutOfMemoryError wrapper = new OutOfMemoryError("Cannot allocate new FloatPointer(10): totalBytes = 1M,"
                + " physicalBytes = 2M");
        wrapper.initCause(new OutOfMemoryError("Native allocator returned address == 0"));
        assertEquals(Optional.of(Failures.Limit.NATIVE), Failures.limit(wrapper));
        assertEquals(Optional.of(Failures.Limit.NATIVE), Failures.limit(new RuntimeException("Allocation failed: [bad_alloc]")));
        assertTrue(Failures.describe(wrapper).contains("spark.executor.memoryOverhead"));
    }

    @Test
    void otherFailuresAreTheirFirstLine() {
        Throwable t = new IllegalStateException("broken\nsecond line");
        assertFalse(Failures.outOfMemory(t));
        assertEquals(Optional.empty(), Failures.limit(t));
        assertEquals("IllegalStateException: broken", Failures.describe(t));
    }
}
