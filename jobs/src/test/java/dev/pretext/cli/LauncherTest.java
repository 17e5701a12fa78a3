package dev.pretext.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * bin/pretext runs the program in the caller's working directory (relative paths are the user's)
 * and finds its own files by absolute path. The real launcher script runs here against a copy of
 * the repository's layout with an empty jar and a stand-in {@code java} that prints its working
 * directory and arguments, so no jar build or Spark start is needed.
 */
class LauncherTest {
    @TempDir
    Path dir;

    @Test
    void theProgramRunsInTheCallersDirectoryWithTheLaunchersFilesAbsolute() throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("../bin/pretext"), root.resolve("bin/pretext"));
        Files.createDirectories(root.resolve("jobs/target"));
        Files.write(root.resolve("jobs/target/pretext-jobs-0.1.0-shaded.jar"), new byte[0]);
        Path runtime = root.resolve("deploy/spark-runtime");
        Files.createDirectories(runtime.resolve("target/jars"));
        Files.writeString(runtime.resolve("pom.xml"), "<project/>\n");
        String cksum = exec(dir, List.of("bash", "-c", "cksum < '" + runtime.resolve("pom.xml") + "'")).strip();
        Files.writeString(runtime.resolve("target/jars/.complete"), cksum);
        Path javaHome = dir.resolve("jdk");
        Files.createDirectories(javaHome.resolve("bin"));
        Path java = javaHome.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\npwd\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cwd = dir.resolve("elsewhere");
        Files.createDirectories(cwd);

        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("bin/pretext").toString(), "inspect", "t/stl")
                .directory(cwd.toFile());
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().remove("PRETEXT_REBUILD");
        pb.environment().remove("PRETEXT_LAUNCHER");
        List<String> lines = exec(pb).lines().toList();

        assertEquals(cwd.toRealPath().toString(), lines.get(0), "the program's working directory is the caller's");
        Path realRoot = root.toRealPath();
        assertTrue(lines.contains(realRoot + "/deploy/spark-runtime/target/jars/*"), String.join("\n", lines));
        assertTrue(lines.contains(realRoot + "/jobs/target/pretext-jobs-0.1.0-shaded.jar"), String.join("\n", lines));
        assertTrue(lines.contains("-Dlog4j2.configurationFile=" + realRoot + "/conf/log4j2.properties"),
                String.join("\n", lines));
        assertEquals(List.of("inspect", "t/stl"), lines.subList(lines.size() - 2, lines.size()),
                "the user's relative paths are passed as given");
    }

    private static String exec(Path cwd, List<String> cmd) throws Exception {
        return exec(new ProcessBuilder(cmd).directory(cwd.toFile()));
    }

    private static String exec(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
