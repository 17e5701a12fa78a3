package dev.pretext.spark;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Progress of a long data job on stderr, one line at most every {@code intervalMs}: the running
 * stage, its tasks done out of total, and the elapsed time. Line-based rather than Spark's
 * carriage-return console bar, so that it reads well in logs of scheduled jobs.
 */
public final class TaskProgress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final String label;
    private final PrintStream out;
    private final long intervalMs;
    private final long start = System.currentTimeMillis();
    private final ConcurrentHashMap<Integer, int[]> stages = new ConcurrentHashMap<>();
    private final AtomicInteger finishedTasks = new AtomicInteger();
    private volatile long lastPrint;

    private TaskProgress(SparkContext sc, String label, PrintStream out, long intervalMs) {
        this.sc = sc;
        this.label = label;
        this.out = out;
        this.intervalMs = intervalMs;
    }

    /** Starts reporting on stderr every 10 s; close to stop. */
    public static TaskProgress start(SparkContext sc, String label) {
        return start(sc, label, System.err, 10_000);
    }

    public static TaskProgress start(SparkContext sc, String label, PrintStream out, long intervalMs) {
        TaskProgress p = new TaskProgress(sc, label, out, intervalMs);
        sc.addSparkListener(p);
        return p;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        stages.put(e.stageInfo().stageId(), new int[] {0, e.stageInfo().numTasks()});
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted e) {
        stages.remove(e.stageInfo().stageId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        finishedTasks.incrementAndGet();
        int[] s = stages.get(e.stageId());
        if (s != null) {
            synchronized (s) {
                s[0]++;
            }
        }
        long now = System.currentTimeMillis();
        if (now - lastPrint >= intervalMs) {
            lastPrint = now;
            StringBuilder b = new StringBuilder();
            stages.forEach((id, t) -> b.append(String.format(Locale.ROOT, " stage %d: %d/%d tasks", id, t[0], t[1])));
            out.printf(Locale.ROOT, "[%s]%s (%d tasks done, %.0f s)%n", label, b, finishedTasks.get(),
                    (now - start) / 1000.0);
            out.flush();
        }
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
