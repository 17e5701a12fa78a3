package dev.pretext.jobs;

/**
 * Turns a failure into the one line a user needs, and for running out of memory, the setting to
 * raise: the driver heap ({@code PRETEXT_HEAP} for {@code bin/pretext}, {@code --driver-memory}
 * for spark-submit), executor memory ({@code spark.executor.memory}), or ND4J's off-heap limit
 * ({@code PRETEXT_OFFHEAP}).
 */
public final class Failures {
    private Failures() {
    }

    /** True when the failure, or any cause, or its text, is an out-of-memory condition. */
    public static boolean outOfMemory(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof OutOfMemoryError) {
                return true;
            }
            String m = String.valueOf(x.getMessage());
            if (m.contains("OutOfMemoryError") || m.contains("Java heap space")
                    || m.contains("Cannot reserve additional contiguous bytes")
                    || m.contains("Physical memory usage is too high") || m.contains("Cannot allocate new")) {
                return true;
            }
            if (x.getCause() == x) {
                break;
            }
        }
        return false;
    }

    /** One line: the error, and for out-of-memory, what to raise. */
    public static String describe(Throwable t) {
        String first = firstLine(t);
        if (!outOfMemory(t)) {
            return first;
        }
        boolean offHeap = String.valueOf(t).contains("Physical memory") || String.valueOf(t).contains("Cannot allocate new");
        return "out of memory (" + first + "); raise "
                + (offHeap ? "PRETEXT_OFFHEAP / PRETEXT_OFFHEAP_PHYS (ND4J off-heap, bin/pretext) or the executors'"
                + " -Dorg.bytedeco.javacpp.maxbytes"
                : "PRETEXT_HEAP (driver heap of bin/pretext, default 6g; --driver-memory with spark-submit) or"
                + " spark.executor.memory on a cluster");
    }

    private static String firstLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && !(root instanceof OutOfMemoryError)) {
            root = root.getCause();
        }
        String m = root.getClass().getSimpleName() + ": " + root.getMessage();
        int nl = m.indexOf('\n');
        m = nl > 0 ? m.substring(0, nl) : m;
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
