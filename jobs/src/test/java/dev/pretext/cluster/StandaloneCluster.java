package dev.pretext.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster for tests, started and stopped with {@code deploy/standalone.sh}
 * exactly as users do (master and workers are JVMs of their own on 127.0.0.1; executors are JVMs
 * the workers start), on the test classpath ({@code PRETEXT_SPARK_CLASSPATH}) so that no Spark
 * download or Maven resolution is needed. {@link #close} runs {@code stop} and then kills whatever
 * is still alive of the processes the script recorded, also when a test failed.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Path state;
    private final Map<String, String> env;
    private final String masterUrl;
    private final Thread shutdownHook;
    private final List<Long> daemons = new ArrayList<>();

    private StandaloneCluster(Path state, Map<String, String> env, String masterUrl) {
        this.state = state;
        this.env = env;
        this.masterUrl = masterUrl;
        this.shutdownHook = new Thread(this::killRecorded, "standalone-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        daemons.addAll(recordedPids());
    }

    /** {@code deploy/standalone.sh start workers} with each worker offering {@code coresPerWorker}. */
    public static StandaloneCluster start(Path state, int workers, int coresPerWorker) {
        int port = ClusterTestSupport.freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PRETEXT_STANDALONE_DIR", state.toString());
        env.put("PRETEXT_MASTER_PORT", Integer.toString(port));
        env.put("PRETEXT_MASTER_WEBUI_PORT", "0");
        env.put("PRETEXT_WORKER_CORES", Integer.toString(coresPerWorker));
        env.put("PRETEXT_WORKER_MEMORY", "2g");
        env.put("PRETEXT_EXECUTOR_MEMORY", "1g");
        env.put("PRETEXT_DAEMON_HEAP", "384m");
        env.put("PRETEXT_SPARK_CLASSPATH", ClusterTestSupport.testClasspath());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        ClusterTestSupport.Result r = script(state, env, "start", Integer.toString(workers));
        if (r.status() != 0) {
            // whatever did start
            new StandaloneCluster(state, env, "").close();
            throw new IllegalStateException("deploy/standalone.sh start failed (" + r.status() + "):\n" + r.output());
        }
        return new StandaloneCluster(state, env, "spark://127.0.0.1:" + port);
    }

    private static ClusterTestSupport.Result script(Path state, Map<String, String> env, String... args) {
        try {
            Files.createDirectories(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of("bash",
                ClusterTestSupport.repoRoot().resolve("deploy/standalone.sh").toString()));
        cmd.addAll(List.of(args));
        return ClusterTestSupport.run(cmd, env, state, state.resolve("script-" + args[0] + ".log"), 300);
    }

    public String masterUrl() {
        return masterUrl;
    }

    public Path state() {
        return state;
    }

    /** {@code deploy/standalone.sh status}. */
    public ClusterTestSupport.Result status() {
        return script(state, env, "status");
    }

    /** The settings {@code start} wrote for drivers ({@code conf/spark-defaults.conf}). */
    public Map<String, String> sparkDefaults() {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(state.resolve("conf/spark-defaults.conf"))) {
                String[] kv = line.trim().split("\\s+", 2);
                if (kv.length == 2 && !kv[0].startsWith("#")) {
                    out.put(kv[0], kv[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The executors a worker ran for one application: {@code work-<worker>/<appId>/<executorId>}
     * folders, each with the executor JVM's stderr.
     */
    public Map<String, Path> executorDirs(String appId) {
        Map<String, Path> out = new LinkedHashMap<>();
        try (Stream<Path> workers = Files.list(state)) {
            for (Path w : workers.filter(p -> p.getFileName().toString().startsWith("work-")).sorted().toList()) {
                Path app = w.resolve(appId);
                if (Files.isDirectory(app)) {
                    try (Stream<Path> execs = Files.list(app)) {
                        for (Path e : execs.sorted().toList()) {
                            out.put(w.getFileName() + "/" + e.getFileName(), e);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The application ids that ran on the cluster, in the order the workers' folders sort. */
    public List<String> applications() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> workers = Files.list(state)) {
            for (Path w : workers.filter(p -> p.getFileName().toString().startsWith("work-")).toList()) {
                try (Stream<Path> apps = Files.list(w)) {
                    apps.map(a -> a.getFileName().toString()).filter(a -> !out.contains(a)).forEach(out::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(null);
        return out;
    }

    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Long> recordedPids() {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> files = Files.exists(state) ? Files.list(state) : Stream.empty()) {
            for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                String s = Files.readString(f).trim();
                if (s.matches("\\d+")) {
                    pids.add(Long.parseLong(s));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    private void killRecorded() {
        for (long pid : daemons) {
            ClusterTestSupport.killTree(pid);
        }
    }

    /** True when no master, worker or executor process of this cluster is alive. */
    public boolean allGone() {
        return daemons.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Override
    public void close() {
        try {
            script(state, env, "stop");
        } finally {
            killRecorded();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }
}
