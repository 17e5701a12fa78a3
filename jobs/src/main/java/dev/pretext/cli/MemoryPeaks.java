package dev.pretext.cli;

import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The largest memory use seen while it runs: a daemon thread samples, every {@link #PERIOD_MS} ms,
 * the heap in use and JavaCPP's two counters that ND4J's limits are checked against:
 * {@code Pointer.physicalBytes()} (the process's resident memory, heap included; the limit is
 * {@code -Dorg.bytedeco.javacpp.maxphysicalbytes}, PRETEXT_OFFHEAP_PHYS) and
 * {@code Pointer.totalBytes()} (the off-heap bytes JavaCPP allocated and tracks; the limit is
 * {@code -Dorg.bytedeco.javacpp.maxbytes}, PRETEXT_OFFHEAP). A peak shorter than the period can be
 * missed; the kernel's own peak of the resident memory is {@link #vmHwmBytes}.
 */
final class MemoryPeaks implements AutoCloseable {
    static final long PERIOD_MS = 200;

    /** The peaks, in bytes, and the limits they are held to. */
    record Peaks(long heapUsed, long physicalBytes, long totalBytes) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("heap_used_peak_bytes", heapUsed);
            m.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
            m.put("javacpp_physical_bytes_peak", physicalBytes);
            m.put("javacpp_max_physical_bytes", Pointer.maxPhysicalBytes());
            m.put("javacpp_total_bytes_peak", totalBytes);
            m.put("javacpp_max_bytes", Pointer.maxBytes());
            m.put("sample_period_ms", PERIOD_MS);
            return m;
        }
    }

    private final Thread thread;
    private volatile boolean running = true;
    private long heap;
    private long physical;
    private long total;

    private MemoryPeaks() {
        sample();
        thread = new Thread(this::loop, "pretext-memory-peaks");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts sampling now. */
    static MemoryPeaks start() {
        return new MemoryPeaks();
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
            sample();
        }
    }

    private synchronized void sample() {
        heap = Math.max(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        physical = Math.max(physical, Pointer.physicalBytes());
        total = Math.max(total, Pointer.totalBytes());
    }

    /** Stops sampling (one last sample first) and returns the peaks. */
    Peaks stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        synchronized (this) {
            return new Peaks(heap, physical, total);
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The process's peak resident memory (VmHWM of /proc/self/status), when the system has it. */
    static OptionalLong vmHwmBytes() {
        try {
            return statusBytes(Files.readString(Path.of("/proc/self/status")), "VmHWM");
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** The machine's available memory (MemAvailable of /proc/meminfo), when the system has it. */
    static OptionalLong memAvailableBytes() {
        try {
            return statusBytes(Files.readString(Path.of("/proc/meminfo")), "MemAvailable");
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** A "Key:   1234 kB" line of a /proc status file, in bytes. */
    static OptionalLong statusBytes(String text, String key) {
        for (String line : text.split("\n")) {
            if (line.startsWith(key + ":")) {
                String[] f = line.substring(key.length() + 1).trim().split("\\s+");
                long v = Long.parseLong(f[0]);
                return OptionalLong.of(f.length > 1 && f[1].equalsIgnoreCase("kB") ? v * 1024 : v);
            }
        }
        return OptionalLong.empty();
    }

    /** Bytes in the JVM's units (-Xmx6g is 6 GiB): "3.2 GiB", MiB under 1 GiB, "< 1 MiB"; "" for a non-number. */
    static String size(Object bytes) {
        if (!(bytes instanceof Number n)) {
            return "";
        }
        double b = n.doubleValue();
        if (b < (1L << 20)) {
            return "< 1 MiB";
        }
        return b >= (1L << 30) ? String.format(Locale.ROOT, "%.1f GiB", b / (1L << 30))
                : String.format(Locale.ROOT, "%.0f MiB", b / (1L << 20));
    }
}
