package dev.pretext.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns a failure into the one line a user needs, and for running out of memory, which limit was
 * hit and the setting to raise ({@link Limit}).
 *
 * <p>The limits are told apart by their messages, which may arrive only as text (an executor's
 * failure inside a {@code SparkException}): the JVM's "Java heap space"; JavaCPP's
 * "Failed to allocate memory within limits: totalBytes (...) > maxBytes (...)" (older JavaCPP:
 * "Cannot allocate X + Y bytes (> Pointer.maxBytes)") and "Physical memory usage is too high:
 * physicalBytes (...) > maxPhysicalBytes (...)" (older: "(> Pointer.maxPhysicalBytes)"), often as
 * the cause of a "Cannot allocate new FloatPointer(...)"; and a native allocation the system
 * refused ("Native allocator returned address == 0", ND4J's "Allocation failed: [...]").
 */
public final class Failures {
    private Failures() {
    }

    /** The memory limit an out-of-memory failure hit, and what to raise. */
    public enum Limit {
        HEAP("heap", "PRETEXT_HEAP", "the JVM heap is full",
                "raise PRETEXT_HEAP (bin/pretext's JVM heap, default 6g; --driver-memory with spark-submit); on a"
                        + " cluster spark.executor.memory; or lower train.batch-size"),
        OFF_HEAP_MAX_BYTES("maxbytes", "PRETEXT_OFFHEAP", "ND4J's off-heap memory reached JavaCPP's maxbytes",
                "raise PRETEXT_OFFHEAP (bin/pretext's -Dorg.bytedeco.javacpp.maxbytes, default 8g); on a cluster"
                        + " -Dorg.bytedeco.javacpp.maxbytes in spark.executor.extraJavaOptions with"
                        + " spark.executor.memoryOverhead above it; or lower train.batch-size"),
        OFF_HEAP_MAX_PHYSICAL_BYTES("maxphysicalbytes", "PRETEXT_OFFHEAP_PHYS",
                "the process's resident memory (heap and off-heap) passed JavaCPP's"
                + " maxphysicalbytes",
                "raise PRETEXT_OFFHEAP_PHYS (bin/pretext's -Dorg.bytedeco.javacpp.maxphysicalbytes, default 14g;"
                        + " keep it under the machine's memory); on a cluster spark.executor.memoryOverhead (and"
                        + " -Dorg.bytedeco.javacpp.maxphysicalbytes in spark.executor.extraJavaOptions); or lower"
                        + " train.batch-size"),
        NATIVE("the system", "the machine's memory", "the system refused native memory",
                "free memory on the machine or give the container more; on a cluster raise"
                        + " spark.executor.memoryOverhead; or lower train.batch-size");

        private final String label;
        private final String setting;
        private final String what;
        private final String remedy;

        Limit(String label, String setting, String what, String remedy) {
            this.label = label;
            this.setting = setting;
            this.what = what;
            this.remedy = remedy;
        }

        /** The limit in a word: heap, maxbytes, maxphysicalbytes, the system. */
        public String label() {
            return label;
        }

        /** What sets it for bin/pretext (PRETEXT_HEAP, ...). */
        public String setting() {
            return setting;
        }

        /** What was hit, in words. */
        public String what() {
            return what;
        }

        /** The settings to raise (or the batch to lower). */
        public String remedy() {
            return remedy;
        }
    }

    /** True when the failure, or any cause, or its text, is an out-of-memory condition. */
    public static boolean outOfMemory(Throwable t) {
        return limit(t).isPresent();
    }

    /** The limit an out-of-memory failure hit; empty when the failure is something else. */
    public static Optional<Limit> limit(Throwable t) {
        List<String> texts = texts(t);
        // the most specific first: JavaCPP's wrapper "Cannot allocate new FloatPointer" carries the limit in its cause
        if (any(texts, "maxphysicalbytes", "physical memory usage is too high")) {
            return Optional.of(Limit.OFF_HEAP_MAX_PHYSICAL_BYTES);
        }
        if (any(texts, "maxbytes", "failed to allocate memory within limits")) {
            return Optional.of(Limit.OFF_HEAP_MAX_BYTES);
        }
        if (any(texts, "native allocator returned address == 0", "cannot allocate new", "allocation failed: [")) {
            return Optional.of(Limit.NATIVE);
        }
        boolean oomError = false;
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            oomError |= x instanceof OutOfMemoryError;
        }
        if (oomError || any(texts, "outofmemoryerror", "java heap space", "gc overhead limit exceeded",
                "cannot reserve additional contiguous bytes")) {
            return Optional.of(Limit.HEAP);
        }
        return Optional.empty();
    }

    /** One line: the error, and for out-of-memory, which limit was hit and what to raise. */
    public static String describe(Throwable t) {
        Optional<Limit> limit = limit(t);
        if (limit.isEmpty()) {
            return firstLine(t);
        }
        return "out of memory (" + oneLine(memoryMessage(t)) + "): " + limit.get().what() + "; "
                + limit.get().remedy();
    }

    /** The class and message of the failure and its causes, lower case, outermost first. */
    private static List<String> texts(Throwable t) {
        List<String> out = new ArrayList<>();
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            out.add((x.getClass().getName() + ": " + x.getMessage()).toLowerCase(Locale.ROOT));
        }
        return out;
    }

    private static boolean any(List<String> texts, String... markers) {
        for (String s : texts) {
            for (String m : markers) {
                if (s.contains(m)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The message that says most about the memory failure: the innermost OutOfMemoryError's, or
     * where an executor's failure arrived as text, the text from "OutOfMemoryError" on.
     */
    private static String memoryMessage(Throwable t) {
        String best = null;
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            if (x instanceof OutOfMemoryError) {
                best = x.getClass().getSimpleName() + ": " + x.getMessage();
            }
        }
        if (best != null) {
            return best;
        }
        for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
            String m = String.valueOf(x.getMessage());
            int i = m.indexOf("OutOfMemoryError");
            if (i >= 0) {
                return m.substring(i);
            }
        }
        return rootMessage(t);
    }

    private static String firstLine(Throwable t) {
        return oneLine(rootMessage(t));
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && !(root instanceof OutOfMemoryError)) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String oneLine(String m) {
        int nl = m.indexOf('\n');
        m = nl > 0 ? m.substring(0, nl) : m;
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
