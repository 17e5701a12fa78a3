package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/yarn/submit.sh's own rules, with a stand-in spark-submit that records its arguments (the
 * script against a real YARN cluster: {@code dev.pretext.cluster.YarnClusterTest}): the YARN
 * defaults and that the user's options win over them, the config files shipped in cluster mode,
 * and the refusals (a local run directory in cluster mode, another master).
 */
class YarnSubmitScriptTest {
    @TempDir
    Path root;
    Path script;
    Path jar;

    record Result(int status, List<String> args, String err) {
    }

    @BeforeEach
    void copyScripts() throws IOException {
        Files.createDirectories(root.resolve("deploy/yarn"));
        Files.copy(Path.of("../deploy/submit.sh"), root.resolve("deploy/submit.sh"));
        script = root.resolve("deploy/yarn/submit.sh");
        Files.copy(Path.of("../deploy/yarn/submit.sh"), script);
        jar = Files.writeString(root.resolve("app.jar"), "not really a jar");
    }

    private Result run(String... args) throws Exception {
        Path fake = root.resolve("fake-spark-submit");
        Path recorded = root.resolve("args.txt");
        Files.deleteIfExists(recorded);
        Files.writeString(fake, "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"" + recorded
                + "\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("SPARK_SUBMIT", fake.toString());
        pb.environment().put("PRETEXT_JAR", jar.toString());
        Path err = root.resolve("stderr.txt");
        pb.redirectError(err.toFile()).redirectOutput(root.resolve("stdout.txt").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Result(p.exitValue(), Files.exists(recorded) ? Files.readAllLines(recorded) : List.of(),
                Files.readString(err));
    }

    /** The value after {@code --conf} that starts with {@code key=}, or null. */
    private static String conf(List<String> args, String key) {
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--conf") && args.get(i + 1).startsWith(key + "=")) {
                return args.get(i + 1).substring(key.length() + 1);
            }
        }
        return null;
    }

    private static String after(List<String> args, String option) {
        int i = args.indexOf(option);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    @Test
    void clusterModeIsTheDefaultWithYarnSettingsAndTheConfigFilesShipped() throws Exception {
        Path conf = Files.writeString(root.resolve("my run.conf"), "train { epochs = 1 }\n");
        Result r = run("--num-executors", "2", "--", "pipeline", "--conf", conf.toString(),
                "--set", "run.dir=hdfs:///pretext/runs");
        assertEquals(0, r.status(), r.err());
        List<String> a = r.args();
        assertEquals("yarn", after(a, "--master"));
        assertEquals("cluster", after(a, "--deploy-mode"));
        assertEquals("1", conf(a, "spark.yarn.maxAppAttempts"));
        assertEquals("2g", conf(a, "spark.executor.memoryOverhead"));
        assertEquals("2g", conf(a, "spark.driver.memoryOverhead"));
        assertEquals(conf.toRealPath().toString(), after(a, "--files"), "the config is shipped");
        // Pretext is given the shipped file's name (YARN puts it in the driver's working directory)
        assertEquals(List.of(jar.toString(), "pipeline", "--conf", "my run.conf", "--set", "run.dir=hdfs:///pretext/runs"),
                a.subList(a.indexOf(jar.toString()), a.size()));
        assertEquals("2", after(a, "--num-executors"));
    }

    @Test
    void theUsersOptionsWinAndClientModeKeepsLocalPaths() throws Exception {
        Result r = run("--deploy-mode", "client", "--conf", "spark.executor.memoryOverhead=6g",
                "--conf", "spark.yarn.maxAppAttempts=2", "--", "pipeline", "--conf", "conf/x.conf",
                "--set", "run.dir=runs");
        assertEquals(0, r.status(), r.err());
        List<String> a = r.args();
        assertEquals(1, a.stream().filter("--deploy-mode"::equals).count());
        assertEquals("client", after(a, "--deploy-mode"));
        assertEquals("6g", conf(a, "spark.executor.memoryOverhead"));
        assertEquals("2", conf(a, "spark.yarn.maxAppAttempts"));
        assertNull(conf(a, "spark.driver.memoryOverhead"), "client mode: the driver is the submitting JVM");
        assertFalse(a.contains("--files"));
        assertEquals(List.of("pipeline", "--conf", "conf/x.conf", "--set", "run.dir=runs"),
                a.subList(a.indexOf(jar.toString()) + 1, a.size()));
    }

    @Test
    void clusterModeRefusesALocalRunDirectoryAndAnotherMaster() throws Exception {
        Result local = run("--", "pipeline", "--set", "run.dir=/tmp/runs");
        assertEquals(2, local.status());
        assertTrue(local.err().contains("in cluster mode the run directory must be on a shared file system"), local.err());
        assertEquals(List.of(), local.args(), "spark-submit must not run");
        Result none = run("--", "quickstart");
        assertEquals(2, none.status(), "the default run.dir (runs) is local");
        Result pretrain = run("--", "pretrain", "--images", "hdfs:///t", "--run", "runs/r1");
        assertEquals(2, pretrain.status());
        assertTrue(pretrain.err().contains("--run must be on a shared file system"), pretrain.err());
        assertEquals(0, run("--", "pretrain", "--images", "hdfs:///t", "--run", "hdfs:///runs/r1").status());
        assertEquals(0, run("--", "ingest", "--dataset", "cifar10", "--input", "hdfs:///in", "--out", "hdfs:///t")
                .status(), "table commands have no run directory");
        Result master = run("--master", "local[2]", "--", "probe");
        assertEquals(2, master.status());
        assertTrue(master.err().contains("--master is yarn here"), master.err());
    }
}
