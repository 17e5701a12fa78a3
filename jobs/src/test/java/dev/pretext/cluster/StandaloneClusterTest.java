package dev.pretext.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.cli.Main;
import dev.pretext.spark.SparkSessions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pretext on a real Spark standalone cluster: {@code deploy/standalone.sh start 2} (master and two
 * workers, each a JVM of its own on 127.0.0.1), the driver in this JVM, and one executor JVM per
 * worker. Proves that the executors get {@code OMP_NUM_THREADS} and the DL4J flags from
 * {@link dev.pretext.spark.ExecutorSettings}, that pre-training runs across the two executors
 * under both trainers ({@code paramavg}; {@code shared}: gradient sharing over Aeron between the
 * executor JVMs, one free UDP port per JVM), and that the whole pipeline runs once. The script's
 * {@code stop} (and, whatever happened, a kill of every recorded process) ends the cluster.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    @TempDir
    static Path dir;
    static StandaloneCluster cluster;
    static String images;

    @BeforeAll
    static void startCluster() {
        // workers offer 2 cores each, so that one test can ask for 2-core executors; the training
        // runs take 1-core executors (spark.cores.max 2: one on each worker)
        cluster = StandaloneCluster.start(dir.resolve("standalone"), 2, 2);
        String data = dir.resolve("cifar").toString();
        images = dir.resolve("images").toString();
        assertEquals(0, Main.run(new String[]{"synth", "--format", "cifar10", "--out", data, "--train", "128",
                "--test", "64"}));
        assertEquals(0, Main.run(new String[]{"ingest", "--dataset", "cifar10", "--input", data, "--out", images,
                "--set", "spark.master=\"local[2]\""}));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
            assertTrue(cluster.allGone(), "a master, worker or executor process outlived deploy/standalone.sh stop");
            String after = cluster.status().output();
            assertTrue(after.contains("not running"), after);
        }
    }

    /** The driver's Spark settings as the script wrote them, with the test's executor sizes on top. */
    private static Map<String, String> driverSettings(int executorCores, int maxCores) {
        Map<String, String> s = new LinkedHashMap<>(cluster.sparkDefaults());
        assertEquals(cluster.masterUrl(), s.get("spark.master"));
        s.put("spark.executor.cores", Integer.toString(executorCores));
        s.put("spark.cores.max", Integer.toString(maxCores));
        // ND4J's off-heap memory in a 1 GB executor (the DL4J flags are added by ExecutorSettings)
        // and Spark's INFO lines in its stderr, which the tests read (the test classpath's log4j2 config
        // would hide them)
        s.put("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.maxbytes=1500m -Dlog4j2.configurationFile="
                + ClusterTestSupport.repoRoot().resolve("deploy/log4j2-cluster.properties"));
        // start tasks only when both executors are up, so that both get work
        s.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        s.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "180s");
        s.put("spark.extraListeners", TaskRecorder.class.getName());
        return s;
    }

    /** Runs {@code body} with {@code settings} as spark.* system properties (what SparkConf reads). */
    private static <T> T withSparkProperties(Map<String, String> settings, java.util.concurrent.Callable<T> body)
            throws Exception {
        Map<String, String> old = new HashMap<>();
        settings.forEach((k, v) -> old.put(k, System.getProperty(k)));
        settings.forEach(System::setProperty);
        try {
            return body.call();
        } finally {
            old.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    /** Runs a command of the jar's Main in this JVM as the driver; returns the new application's id. */
    private static String runOnCluster(Map<String, String> settings, String... argv) throws Exception {
        TaskRecorder.drain();
        Set<String> before = new TreeSet<>(cluster.applications());
        int status = withSparkProperties(settings, () -> Main.run(argv));
        List<String> apps = new ArrayList<>(cluster.applications());
        apps.removeAll(before);
        assertEquals(0, status, "exit status of " + String.join(" ", argv) + "; executor logs:\n" + executorLogs(apps));
        assertEquals(1, apps.size(), "one new application on the cluster: " + apps);
        return apps.get(0);
    }

    private static String executorLogs(List<String> apps) {
        StringBuilder sb = new StringBuilder();
        for (String app : apps) {
            cluster.executorDirs(app).forEach((name, d) -> {
                String err = Files.exists(d.resolve("stderr")) ? StandaloneCluster.read(d.resolve("stderr")) : "";
                sb.append("--- ").append(name).append(" (last 3000 chars)\n")
                        .append(err.substring(Math.max(0, err.length() - 3000)));
            });
        }
        return sb.toString();
    }

    /** The two executors of an application: one per worker, each its own JVM that ran tasks. */
    private static Map<String, String> assertTwoExecutorsOnTwoWorkers(String app) {
        Map<String, Path> execs = cluster.executorDirs(app);
        assertEquals(2, execs.size(), "executors of " + app + ": " + execs.keySet());
        Set<String> workers = execs.keySet().stream().map(k -> k.substring(0, k.indexOf('/')))
                .collect(Collectors.toSet());
        assertEquals(Set.of("work-1", "work-2"), workers, "one executor on each worker");
        Map<String, String> logs = new LinkedHashMap<>();
        execs.forEach((name, d) -> {
            String err = StandaloneCluster.read(d.resolve("stderr"));
            assertTrue(err.contains("Running task"), name + " ran no task:\n" + err);
            logs.put(name, err);
        });
        return logs;
    }

    @Test
    @Order(1)
    void theScriptReportsTheRunningClusterAndWritesDriverSettings() {
        ClusterTestSupport.Result st = cluster.status();
        assertEquals(0, st.status(), st.output());
        assertTrue(st.output().contains("master " + cluster.masterUrl()), st.output());
        assertTrue(st.output().contains("2 of 2 worker(s) alive"), st.output());
        Map<String, String> d = cluster.sparkDefaults();
        assertEquals("2", d.get("spark.executor.cores"));
        assertEquals("4", d.get("spark.cores.max"));
        assertEquals("127.0.0.1", d.get("spark.driver.host"));
    }

    @Test
    @Order(2)
    void executorsSeeOmpNumThreadsAndTheDl4jFlagsFromExecutorSettings() throws Exception {
        // 2-core executors: Spark alone would give them OMP_NUM_THREADS = spark.task.cpus = 1
        Map<String, String> settings = driverSettings(2, 4);
        List<String> seen = withSparkProperties(settings, () -> {
            SparkSession spark = SparkSessions.getOrCreate(cluster.masterUrl(), "omp-check");
            try {
                JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                assertEquals("2", jsc.getConf().get("spark.executorEnv.OMP_NUM_THREADS"), "set by ExecutorSettings");
                return jsc.parallelize(IntStream.range(0, 16).boxed().toList(), 16)
                        .map(i -> ProcessHandle.current().pid() + "|" + System.getenv("OMP_NUM_THREADS") + "|"
                                + System.getProperty("org.eclipse.deeplearning4j.helpers.disable") + "|"
                                + System.getProperty("aeron.publication.unblock.timeout"))
                        .collect();
            } finally {
                spark.stop();
            }
        });
        Set<String> pids = new TreeSet<>();
        for (String s : seen) {
            String[] f = s.split("\\|");
            pids.add(f[0]);
            assertEquals("2", f[1], "OMP_NUM_THREADS on an executor: " + s);
            assertEquals("false", f[2], "layer helpers flag on an executor: " + s);
            assertEquals("60000000000", f[3], "Aeron's unblock timeout on an executor: " + s);
        }
        assertEquals(2, pids.size(), "tasks ran in two executor JVMs: " + seen);
        assertFalse(pids.contains(Long.toString(ProcessHandle.current().pid())), "not in the driver");
    }

    @ParameterizedTest
    @ValueSource(strings = {"paramavg", "shared"})
    @Order(3)
    void pretrainRunsAcrossTwoExecutors(String trainer) throws Exception {
        String run = dir.resolve("run-" + trainer).toString();
        String app = runOnCluster(driverSettings(1, 2), "pretrain", "--images", images, "--run", run,
                "--set", "spark.master=\"" + cluster.masterUrl() + "\"",
                "--set", "train.trainer=" + trainer, "--set", "train.workers=2", "--set", "train.epochs=1",
                "--set", "train.batch-size=16", "--set", "train.chunks-per-epoch=1",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "eval.monitor.train-images=0", "--set", "eval.monitor.test-images=0");
        Map<String, String> logs = assertTwoExecutorsOnTwoWorkers(app);
        // DL4J's training tasks (stages called from its TrainingMaster) ran on both executors
        List<TaskRecorder.Task> tasks = TaskRecorder.drain();
        Set<String> trainedOn = tasks.stream().filter(t -> t.stage().contains("TrainingMaster"))
                .map(TaskRecorder.Task::executor).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("0", "1"), trainedOn, "executors that ran training tasks, of " + tasks);

        Path runDir = Path.of(run);
        assertTrue(Files.exists(runDir.resolve("checkpoints/epoch-0001/model.zip")), "checkpoint of epoch 1");
        List<String> metrics = Files.readAllLines(runDir.resolve("metrics.jsonl"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList();
        assertFalse(metrics.isEmpty(), "metrics.jsonl");
        JsonNode last = new ObjectMapper().readTree(metrics.get(metrics.size() - 1));
        assertEquals(1, last.get("epoch").asInt(), last.toString());
        double loss = last.get("loss").asDouble();
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + last);
        JsonNode summary = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
        assertEquals(trainer, summary.at("/trainer").asText(summary.toString()), summary.toString());

        if (trainer.equals("shared")) {
            // gradient sharing between the executor JVMs: each joined the Aeron mesh rooted at the driver
            // on a UDP port of its own (FreeUdpPortSupplier), and each trained as a shared worker
            Pattern transport = Pattern.compile("Initializing transport \\[127\\.0\\.0\\.1:(\\d+)\\] with root as"
                    + " \\[127\\.0\\.0\\.1:(\\d+)\\]");
            Set<String> ports = new TreeSet<>();
            Set<String> roots = new TreeSet<>();
            for (Map.Entry<String, String> e : logs.entrySet()) {
                Matcher m = transport.matcher(e.getValue());
                assertTrue(m.find(), e.getKey() + " did not join the gradient-sharing mesh:\n" + e.getValue());
                ports.add(m.group(1));
                roots.add(m.group(2));
                assertTrue(e.getValue().contains("SharedTrainingWrapper: Master thread done"), e.getKey());
            }
            assertEquals(2, ports.size(), "one port per executor JVM: " + ports);
            assertEquals(1, roots.size(), "one root (the driver): " + roots);
            assertFalse(ports.containsAll(roots), "the driver's port is its own");
        }
    }

    @Test
    @Order(4)
    void theWholePipelineRunsOnTheCluster() throws Exception {
        Path runs = dir.resolve("runs");
        String app = runOnCluster(driverSettings(1, 2), "pipeline",
                "--set", "spark.master=\"" + cluster.masterUrl() + "\"",
                "--set", "run.dir=\"" + runs + "\"", "--set", "run.id=standalone",
                "--set", "data.synth.train-images=128", "--set", "data.synth.test-images=64", "--set", "data.shards=2",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25", "--set", "train.epochs=1",
                "--set", "train.batch-size=16", "--set", "train.chunks-per-epoch=1", "--set", "train.workers=2",
                "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=10",
                "--set", "eval.baselines=false",
                "--set", "eval.monitor.train-images=0", "--set", "eval.monitor.test-images=0");
        assertTwoExecutorsOnTwoWorkers(app);
        JsonNode report = new ObjectMapper().readTree(runs.resolve("standalone/report.json").toFile());
        assertEquals("complete", report.at("/status").asText(), report.toString());
        assertEquals(1, report.at("/pretrain/epochs").asInt(), report.toString());
        double top1 = report.at("/probe/linear_top1").asDouble(-1);
        assertTrue(top1 >= 0 && top1 <= 1, report.toString());
        assertTrue(Files.exists(runs.resolve("standalone/features/pretrained/_manifest.json")));
        assertTrue(Arrays.asList(runs.resolve("standalone").toFile().list()).contains("report.html"));
    }
}
