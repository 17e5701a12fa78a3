package dev.pretext.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.cli.Main;
import dev.pretext.hdfs.HdfsCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pretext on a real YARN cluster: Hadoop's MiniYARNCluster (a ResourceManager and a NodeManager in
 * this JVM, containers as child JVMs) over the MiniDFSCluster of {@link HdfsCluster}, everything on
 * 127.0.0.1. The pipeline runs on tiny synthetic data whose input, tables and run directory are on
 * HDFS, launched the way users launch it: {@code deploy/yarn/submit.sh} (spark-submit's part is a
 * one-line stand-in that runs Spark's SparkSubmit on the test classpath), in client mode (driver
 * in a child JVM, executors in containers) and in cluster mode (the driver in the application
 * master's container; its config file shipped by the script). Each run must end with the
 * application SUCCEEDED in the ResourceManager and a complete report.json on HDFS.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnClusterTest {
    @TempDir
    static Path dir;
    static HdfsCluster hdfs;
    static MiniYARNCluster yarn;
    static Path hadoopConf;
    static String input;
    // the ResourceManager's and NodeManager's web apps log through java.util.logging at INFO (held
    // here: java.util.logging keeps its loggers weakly)
    private static final java.util.logging.Logger JERSEY_LOG =
            java.util.logging.Logger.getLogger("org.apache.hadoop.shaded.com.sun.jersey");
    private static final java.util.logging.Logger GUICE_LOG =
            java.util.logging.Logger.getLogger("org.apache.hadoop.shaded.com.google.inject");

    @BeforeAll
    static void startClusters() throws Exception {
        JERSEY_LOG.setLevel(java.util.logging.Level.WARNING);
        GUICE_LOG.setLevel(java.util.logging.Level.SEVERE);
        hdfs = HdfsCluster.start(dir.resolve("dfs"));
        YarnConfiguration conf = new YarnConfiguration();
        conf.set("fs.defaultFS", hdfs.uri());
        // the shaded minicluster has no capacity-scheduler.xml: one queue with everything
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        // small containers; ND4J's off-heap memory would trip the physical/virtual memory checks
        conf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
        conf.setInt("yarn.scheduler.maximum-allocation-mb", 4096);
        conf.setInt("yarn.nodemanager.resource.memory-mb", 6144);
        conf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
        conf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
        conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100");
        // loopback only
        conf.set("yarn.resourcemanager.bind-host", "127.0.0.1");
        conf.set("yarn.nodemanager.bind-host", "127.0.0.1");
        conf.set("yarn.nodemanager.hostname", "127.0.0.1");
        conf.setBoolean("yarn.timeline-service.enabled", false);
        // keep the containers' folders and logs after they end, for the assertions and for debugging
        conf.setInt("yarn.nodemanager.delete.debug-delay-sec", 600);
        yarn = new MiniYARNCluster("pretext-yarn", 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        // start() can return before the ResourceManager's port is bound
        long deadline = System.currentTimeMillis() + 120_000;
        while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0")
                || yarn.getResourceManager().getRMContext().getRMNodes().isEmpty()) {
            assertTrue(System.currentTimeMillis() < deadline, "the ResourceManager or NodeManager did not come up");
            Thread.sleep(200);
        }
        hadoopConf = Files.createDirectories(dir.resolve("hadoop-conf"));
        try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("yarn-site.xml"))) {
            yarn.getConfig().writeXml(out);
        }
        try (OutputStream out = Files.newOutputStream(hadoopConf.resolve("core-site.xml"))) {
            org.apache.hadoop.conf.Configuration core = new org.apache.hadoop.conf.Configuration(false);
            core.set("fs.defaultFS", hdfs.uri());
            core.writeXml(out);
        }
        // the dataset on HDFS
        Path local = dir.resolve("cifar");
        assertEquals(0, Main.run(new String[]{"synth", "--format", "cifar10", "--out", local.toString(),
                "--train", "128", "--test", "64"}));
        input = hdfs.copyFromLocal(local, "in/cifar");
    }

    @AfterAll
    static void stopClusters() {
        try {
            if (yarn != null) {
                yarn.stop();
            }
        } finally {
            if (hdfs != null) {
                hdfs.close();
            }
        }
    }

    /** spark-submit as users have it, here Spark's SparkSubmit on the test classpath. */
    private static Path sparkSubmit() throws IOException {
        Path script = dir.resolve("spark-submit");
        if (!Files.exists(script)) {
            StringBuilder sb = new StringBuilder("#!/usr/bin/env bash\nexec \"$JAVA_HOME/bin/java\" -Xmx1g"
                    + " -Dorg.bytedeco.javacpp.maxbytes=2g");
            for (String f : ClusterTestSupport.JAVA17_FLAGS) {
                sb.append(' ').append(f);
            }
            // like spark-class, the cluster's configuration folder goes on the classpath
            sb.append(" -cp \"$HADOOP_CONF_DIR:$PRETEXT_TEST_CLASSPATH\" org.apache.spark.deploy.SparkSubmit \"$@\"\n");
            Files.writeString(script, sb.toString());
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return script;
    }

    /** The application jar: empty (the classes are on the driver's and executors' extra classpath). */
    private static Path appJar() throws IOException {
        Path jar = dir.resolve("pretext-app.jar");
        if (!Files.exists(jar)) {
            Manifest m = new Manifest();
            m.getMainAttributes().putValue("Manifest-Version", "1.0");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
                out.flush();
            }
        }
        return jar;
    }

    private static ClusterTestSupport.Result submit(String name, List<String> submitArgs, List<String> pretextArgs)
            throws IOException {
        String cp = ClusterTestSupport.testClasspath();
        Path noSparkJars = dir.resolve("no-spark-jars");
        if (!Files.exists(noSparkJars)) {
            Files.createFile(noSparkJars);
        }
        List<String> cmd = new ArrayList<>(List.of("bash",
                ClusterTestSupport.repoRoot().resolve("deploy/yarn/submit.sh").toString()));
        cmd.addAll(submitArgs);
        cmd.addAll(List.of(
                "--name", name, "--num-executors", "1", "--executor-cores", "1", "--executor-memory", "768m",
                "--driver-memory", "1g",
                "--conf", "spark.executor.memoryOverhead=1g", "--conf", "spark.driver.memoryOverhead=1g",
                "--conf", "spark.yarn.am.memory=512m",
                // the classes come from the test classpath, not from an upload of $SPARK_HOME/jars
                "--conf", "spark.yarn.jars=local:" + noSparkJars,
                "--conf", "spark.driver.extraClassPath=" + cp, "--conf", "spark.executor.extraClassPath=" + cp,
                "--conf", "spark.yarn.submit.waitAppCompletion=true",
                "--conf", "spark.yarn.report.interval=2s",
                "--conf", "spark.driver.host=127.0.0.1"));
        cmd.add("--");
        cmd.addAll(pretextArgs);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPARK_SUBMIT", sparkSubmit().toString());
        env.put("PRETEXT_JAR", appJar().toString());
        env.put("PRETEXT_TEST_CLASSPATH", cp);
        env.put("HADOOP_CONF_DIR", hadoopConf.toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        Path log = dir.resolve(name + ".log");
        return ClusterTestSupport.run(cmd, env, dir, log, 900);
    }

    private static List<String> pipelineArgs(String runId, String... more) {
        List<String> a = new ArrayList<>(List.of("pipeline",
                "--set", "data.input=\"" + input + "\"",
                "--set", "run.dir=\"" + hdfs.path("runs") + "\"", "--set", "run.id=" + runId,
                "--set", "data.shards=2", "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=1", "--set", "train.batch-size=16", "--set", "train.chunks-per-epoch=1",
                "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=10",
                "--set", "eval.baselines=false",
                "--set", "eval.monitor.train-images=0", "--set", "eval.monitor.test-images=0"));
        a.addAll(List.of(more));
        return a;
    }

    private static java.util.Set<ApplicationId> applicationIds() {
        return new java.util.TreeSet<>(yarn.getResourceManager().getRMContext().getRMApps().keySet());
    }

    /**
     * The one application that appeared since {@code before}, as the ResourceManager has it (in client
     * mode the driver names it itself, so it is found by id, not by --name).
     */
    private static RMApp newApplication(java.util.Set<ApplicationId> before) {
        java.util.Set<ApplicationId> now = applicationIds();
        now.removeAll(before);
        assertEquals(1, now.size(), "applications submitted: " + now);
        return yarn.getResourceManager().getRMContext().getRMApps().get(now.iterator().next());
    }

    /** The container folders the NodeManager kept for an application (logs: stdout, stderr). */
    private static List<Path> containers(ApplicationId app) throws IOException {
        // MiniYARNCluster picks its NodeManager's log folder itself (under target/)
        Path logs = Path.of(yarn.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS).split(",")[0])
                .resolve(app.toString());
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(logs)) {
            return s.sorted().toList();
        }
    }

    private static String containerLogs(ApplicationId app) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path c : containers(app)) {
            for (String f : List.of("stderr", "stdout")) {
                Path p = c.resolve(f);
                if (Files.exists(p)) {
                    String s = Files.readString(p, StandardCharsets.UTF_8);
                    sb.append("--- ").append(c.getFileName()).append('/').append(f).append('\n')
                            .append(s.substring(Math.max(0, s.length() - 4000)));
                }
            }
        }
        return sb.toString();
    }

    private static void assertCompleteRun(String runId) throws IOException {
        JsonNode report = new ObjectMapper().readTree(hdfs.read("runs/" + runId + "/report.json"));
        assertEquals("complete", report.at("/status").asText(), report.toString());
        assertEquals(1, report.at("/pretrain/epochs").asInt(), report.toString());
        double top1 = report.at("/probe/linear_top1").asDouble(-1);
        assertTrue(top1 >= 0 && top1 <= 1, report.toString());
        assertTrue(hdfs.exists("runs/" + runId + "/checkpoints/epoch-0001/model.zip"));
        assertTrue(hdfs.list("runs/" + runId + "/features/pretrained").contains("_manifest.json"));
        assertTrue(hdfs.list("runs/" + runId + "/images").contains("_manifest.json"), "the images table on HDFS");
    }

    @Test
    @Order(1)
    void thePipelineRunsInClientMode() throws Exception {
        java.util.Set<ApplicationId> before = applicationIds();
        ClusterTestSupport.Result r = submit("pretext-client", List.of("--deploy-mode", "client"),
                pipelineArgs("yarn-client"));
        RMApp app = newApplication(before);
        assertEquals(0, r.status(), r.output() + "\n" + containerLogs(app.getApplicationId()));
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus());
        // the application master and at least one executor ran in containers
        assertTrue(containers(app.getApplicationId()).size() >= 2, containers(app.getApplicationId()).toString());
        assertTrue(r.output().contains("pipeline:"), "the driver ran here, printing its progress:\n" + r.output());
        assertCompleteRun("yarn-client");
    }

    @Test
    @Order(2)
    void thePipelineRunsInClusterModeWithItsConfigShippedByTheScript() throws Exception {
        // a config file on the local disk: the script ships it (--files) and passes its file name
        Path conf = dir.resolve("tiny.conf");
        Files.writeString(conf, "train { batch-size = 16 }\nmodel { width = 0.25 }\n");
        List<String> args = new ArrayList<>(pipelineArgs("yarn-cluster"));
        args.addAll(1, List.of("--conf", conf.toString()));
        java.util.Set<ApplicationId> before = applicationIds();
        ClusterTestSupport.Result r = submit("pretext-cluster", List.of("--deploy-mode", "cluster"), args);
        RMApp app = newApplication(before);
        assertEquals("pretext-cluster", app.getName());
        String logs = containerLogs(app.getApplicationId());
        assertEquals(0, r.status(), r.output() + "\n" + logs);
        assertEquals(FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus());
        // the driver ran in the application master's container, not in the submitting process
        assertFalse(r.output().contains("pipeline: "), "driver output in the client:\n" + r.output());
        assertTrue(logs.contains("pipeline:"), "the driver's output in a container:\n" + logs);
        assertCompleteRun("yarn-cluster");
    }

    @Test
    @Order(3)
    void clusterModeRefusesALocalRunDirectory() throws Exception {
        List<String> args = new ArrayList<>(pipelineArgs("local-run"));
        int i = args.indexOf("run.dir=\"" + hdfs.path("runs") + "\"");
        args.set(i, "run.dir=" + dir.resolve("runs"));
        java.util.Set<ApplicationId> before = applicationIds();
        ClusterTestSupport.Result r = submit("pretext-refused", List.of(), args);
        assertEquals(2, r.status(), r.output());
        assertTrue(r.output().contains("in cluster mode the run directory must be on a shared file system"), r.output());
        assertEquals(before, applicationIds(), "nothing was submitted");
    }
}
