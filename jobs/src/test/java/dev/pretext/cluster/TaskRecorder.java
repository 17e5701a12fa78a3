package dev.pretext.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * A driver-side listener for tests whose driver runs in the test JVM ({@code spark.extraListeners}):
 * records, for every finished task, the name of its stage (Spark's call site, e.g.
 * {@code foreachPartition at ParameterAveragingTrainingMaster.java:...}) and the executor it ran on.
 */
public final class TaskRecorder extends SparkListener {
    /** A finished task: its stage's name and the id of the executor that ran it. */
    public record Task(String stage, String executor) {
    }

    private static final List<Task> TASKS = new CopyOnWriteArrayList<>();
    private final Map<Integer, String> stageNames = new ConcurrentHashMap<>();

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        stageNames.put(e.stageInfo().stageId(), e.stageInfo().name());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (e.taskInfo().successful()) {
            TASKS.add(new Task(stageNames.getOrDefault(e.stageId(), "?"), e.taskInfo().executorId()));
        }
    }

    /** The tasks recorded so far, and forgets them. */
    public static List<Task> drain() {
        List<Task> out = List.copyOf(TASKS);
        TASKS.clear();
        return out;
    }
}
