package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/submit.sh as users run it ({@code bash deploy/submit.sh}), in a temporary copy of the
 * repository root: a missing shaded jar and a missing spark-submit each exit 2 with a message that
 * says what to do, and spark-submit gets the main class, the JVM flags, the user's spark-submit
 * options, the jar and then Pretext's arguments.
 */
class SubmitScriptTest {
    @TempDir
    Path root;
    private Path script;

    record Result(int status, String out, String err) {
    }

    @BeforeEach
    void copyScript() throws IOException {
        Files.createDirectories(root.resolve("deploy"));
        Files.createDirectories(root.resolve("jobs/target"));
        script = root.resolve("deploy/submit.sh");
        Files.copy(Path.of("../deploy/submit.sh"), script);
    }

    private Result run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().remove("SPARK_SUBMIT");
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().putAll(env);
        Path out = root.resolve("stdout.txt");
        Path err = root.resolve("stderr.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "submit.sh did not finish");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private void jar() throws IOException {
        Files.writeString(root.resolve("jobs/target/pretext-jobs-9.9-shaded.jar"), "not really a jar");
    }

    private Path fakeSubmit() throws IOException {
        Path fake = root.resolve("fake-spark-submit");
        Files.writeString(fake, "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \""
                + root.resolve("args.txt") + "\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return fake;
    }

    @Test
    void missingJarExits2WithHowToBuildIt() throws Exception {
        Result r = run(Map.of("SPARK_SUBMIT", fakeSubmit().toString()), "--", "probe", "--features", "x");
        assertEquals(2, r.status, r.err);
        assertTrue(r.err.contains("no shaded jar") && r.err.contains("mvn -B -DskipTests package"), r.err);
        assertFalse(Files.exists(root.resolve("args.txt")), "spark-submit must not run without the jar");
    }

    @Test
    void missingSparkSubmitExits2AndNamesSparkSubmitVariable() throws Exception {
        jar();
        Result r = run(Map.of(), "--master", "yarn", "--", "probe");
        assertEquals(2, r.status, r.err);
        assertTrue(r.err.contains("'spark-submit' not found"), r.err);
        assertTrue(r.err.contains("SPARK_SUBMIT="), r.err);
        Result named = run(Map.of("SPARK_SUBMIT", root.resolve("nope/spark-submit").toString()), "--", "probe");
        assertEquals(2, named.status, named.err);
        assertTrue(named.err.contains("nope/spark-submit' not found"), named.err);
    }

    @Test
    void passesClassFlagsUserOptionsJarThenPretextArguments() throws Exception {
        jar();
        Result r = run(Map.of("SPARK_SUBMIT", fakeSubmit().toString()), "--master", "yarn", "--deploy-mode", "client",
                "--", "pipeline", "--conf", "conf/cifar10-simclr.conf", "--set", "data.input=hdfs:///d x");
        assertEquals(0, r.status, r.err);
        List<String> got = Files.readAllLines(root.resolve("args.txt"), StandardCharsets.UTF_8);
        String flags = "-Dorg.eclipse.deeplearning4j.helpers.disable=false "
                + "-Daeron.publication.unblock.timeout=60000000000 -Djdk.reflect.useDirectMethodHandle=false";
        String jar = root.toRealPath().resolve("jobs/target/pretext-jobs-9.9-shaded.jar").toString();
        assertEquals(List.of("--class", "dev.pretext.cli.Main",
                "--conf", "spark.driver.extraJavaOptions=" + flags,
                "--conf", "spark.executor.extraJavaOptions=" + flags,
                "--master", "yarn", "--deploy-mode", "client", jar,
                "pipeline", "--conf", "conf/cifar10-simclr.conf", "--set", "data.input=hdfs:///d x"), got);
        // no spark-submit options at all
        assertEquals(0, run(Map.of("SPARK_SUBMIT", fakeSubmit().toString()), "--", "probe").status);
        List<String> bare = Files.readAllLines(root.resolve("args.txt"));
        assertEquals(List.of(jar, "probe"), bare.subList(bare.size() - 2, bare.size()));
    }
}
