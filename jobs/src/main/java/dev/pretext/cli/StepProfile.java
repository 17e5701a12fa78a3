package dev.pretext.cli;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Where the samples of a Java Flight Recorder recording went, by phase of a training step.
 *
 * <p>JFR samples every Java thread every {@link #PERIOD}: {@code jdk.ExecutionSample} when it runs
 * Java code, {@code jdk.NativeMethodSample} when it is inside a native call (an ND4J/oneDNN kernel;
 * the OpenMP threads that kernel uses are not Java threads, so the calling thread's native sample
 * stands for the kernel's wall time). A thread that waits (a lock, a queue) is not sampled. So the
 * count of samples of one thread, times the period, is the time it was busy, and the share of a
 * phase among a thread's samples is the share of that thread's busy time spent there.
 *
 * <p>Each sample is put in one phase by the frames on its stack ({@link #phase}): the first rule that
 * matches wins, so the order of the rules is the attribution. Forward and backward samples are
 * further split by the DL4J layer class nearest the leaf (with "(oneDNN)" when a oneDNN helper is on
 * the stack).
 */
final class StepProfile {
    static final Duration PERIOD = Duration.ofMillis(10);

    private final Recording recording;

    private StepProfile(Recording recording) {
        this.recording = recording;
    }

    /** Starts a recording with both samplers at {@link #PERIOD} and GC events. */
    static StepProfile start() throws IOException, java.text.ParseException {
        Recording r = new Recording(Configuration.getConfiguration("default"));
        r.enable("jdk.ExecutionSample").withPeriod(PERIOD);
        r.enable("jdk.NativeMethodSample").withPeriod(PERIOD);
        r.enable("jdk.GarbageCollection");
        r.start();
        return new StepProfile(r);
    }

    /** Stops the recording and writes it to {@code file} (open it in JDK Mission Control). */
    Path stop(Path file) throws IOException {
        recording.stop();
        recording.dump(file);
        recording.close();
        return file;
    }

    /** The samples of the threads that {@code threads} accepts, counted by phase; and the GC pauses. */
    static Tally tally(Path jfr, Predicate<String> threads) throws IOException {
        Tally t = new Tally();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            if (type.equals("jdk.GarbageCollection")) {
                t.gcPauseMs += e.getDuration().toNanos() / 1e6;
                t.gcCount++;
                continue;
            }
            if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) {
                continue;
            }
            RecordedThread thread = e.getThread("sampledThread");
            String name = thread == null ? "?" : thread.getJavaName();
            if (name == null || !threads.test(name)) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            List<String> frames = new ArrayList<>();
            if (st != null) {
                for (RecordedFrame f : st.getFrames()) {
                    frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
                }
            }
            t.add(phase(frames), leaf(frames, type.equals("jdk.NativeMethodSample")));
        }
        return t;
    }

    /** The samples of some threads, by phase and by the leaf's native or Java method. */
    static final class Tally {
        final Map<String, Integer> byPhase = new TreeMap<>();
        final Map<String, Integer> byLeaf = new TreeMap<>();
        int samples;
        double gcPauseMs;
        int gcCount;

        void add(String phase, String leaf) {
            byPhase.merge(phase, 1, Integer::sum);
            byLeaf.merge(leaf, 1, Integer::sum);
            samples++;
        }

        /** Phases by decreasing share: {phase: {samples, share}}. */
        Map<String, Map<String, Object>> phases() {
            return ranked(byPhase, samples, Integer.MAX_VALUE);
        }

        Map<String, Map<String, Object>> leaves(int top) {
            return ranked(byLeaf, samples, top);
        }

        private static Map<String, Map<String, Object>> ranked(Map<String, Integer> m, int total, int top) {
            Map<String, Map<String, Object>> out = new LinkedHashMap<>();
            m.entrySet().stream().sorted((a, b) -> Integer.compare(b.getValue(), a.getValue())).limit(top)
                    .forEach(e -> {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("samples", e.getValue());
                        row.put("share", total == 0 ? 0.0 : e.getValue() / (double) total);
                        out.put(e.getKey(), row);
                    });
            return out;
        }
    }

    /**
     * The phase of one stack ({@code frames}: leaf first, "class.method"). The rules, in order:
     * augmentation, batch assembly, updater, loss layer, backward by layer, forward by layer, worker
     * network set-up, parameter averaging, gradient sharing, serialisation, other Spark, other.
     */
    static String phase(List<String> frames) {
        if (any(frames, f -> f.startsWith("dev.pretext.augment."))) {
            return "augmentation";
        }
        if (any(frames, f -> f.startsWith("dev.pretext.method.") && (f.contains("BatchSource") || f.endsWith(".assemble"))
                || f.startsWith("dev.pretext.method.FixedBatches"))) {
            return "batch assembly";
        }
        if (any(frames, f -> f.startsWith("org.deeplearning4j.nn.updater.") || f.startsWith("org.nd4j.linalg.learning."))) {
            return "updater";
        }
        if (any(frames, f -> f.contains("SameDiffOutputLayer") || f.contains("HandWrittenLossLayer")
                || f.startsWith("org.nd4j.autodiff.") || f.startsWith("dev.pretext.nn.") && f.contains("Loss"))) {
            return any(frames, f -> f.endsWith(".backpropGradient")) ? "loss layer, backward" : "loss layer, forward";
        }
        if (any(frames, f -> f.endsWith("ComputationGraph.calcBackpropGradients"))) {
            return "backward: " + layer(frames);
        }
        if (any(frames, f -> f.contains("ComputationGraph.ffToLayerActivations") || f.contains("ComputationGraph.outputOfLayers")
                || f.endsWith("ComputationGraph.feedForward"))) {
            return "forward: " + layer(frames);
        }
        if (any(frames, f -> f.endsWith("ParameterAveragingTrainingWorker.getInitialModel")
                || f.endsWith("ComputationGraph.init") || f.endsWith("ComputationGraph.clone")
                || f.contains("SharedTrainingWorker.getInitialModel"))) {
            return "worker network set-up (per round)";
        }
        if (any(frames, f -> f.contains(".paramavg.") && !f.contains("TrainingWorker"))) {
            return "parameter averaging (driver)";
        }
        if (any(frames, f -> f.startsWith("org.deeplearning4j.optimize.solvers.accumulation.")
                || f.startsWith("org.nd4j.parameterserver.") || f.startsWith("io.aeron.")
                || f.startsWith("org.agrona."))) {
            return "gradient sharing";
        }
        if (any(frames, f -> f.startsWith("com.esotericsoftware.kryo.") || f.startsWith("java.io.Object")
                || f.startsWith("org.apache.spark.serializer.") || f.contains("Nd4j.write") || f.contains("Nd4j.read")
                || f.contains("MultiDataSet.save") || f.contains("MultiDataSet.load"))) {
            return "serialisation";
        }
        if (any(frames, f -> f.startsWith("org.deeplearning4j.nn.graph.ComputationGraph.fit"))) {
            return "fit, other (workspaces, listeners)";
        }
        if (any(frames, f -> f.startsWith("org.apache.spark."))) {
            return "spark, other";
        }
        return "other";
    }

    /** The DL4J layer or vertex class nearest the leaf, "(oneDNN)" when a oneDNN helper ran it. */
    static String layer(List<String> frames) {
        boolean onednn = any(frames, f -> f.startsWith("org.deeplearning4j.nn.layers.mkldnn."));
        for (String f : frames) {
            if ((f.startsWith("org.deeplearning4j.nn.layers.") && !f.startsWith("org.deeplearning4j.nn.layers.mkldnn."))
                    || f.startsWith("org.deeplearning4j.nn.graph.vertex.impl.")
                    || f.startsWith("dev.pretext.nn.") && f.contains("Layer.")) {
                String cls = f.substring(0, f.lastIndexOf('.'));
                return cls.substring(cls.lastIndexOf('.') + 1) + (onednn ? " (oneDNN)" : "");
            }
        }
        return "graph (no layer)";
    }

    /** The leaf: the native method (an ND4J kernel call) or the Java method the thread was in. */
    static String leaf(List<String> frames, boolean nativeSample) {
        if (frames.isEmpty()) {
            return "?";
        }
        return (nativeSample ? "native " : "java ") + frames.get(0);
    }

    private static boolean any(List<String> frames, Predicate<String> p) {
        for (String f : frames) {
            if (p.test(f)) {
                return true;
            }
        }
        return false;
    }
}
