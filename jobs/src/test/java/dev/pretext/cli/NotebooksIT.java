package dev.pretext.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every notebook in {@code notebooks/} executed headless, as a user would run it
 * ({@code jupyter nbconvert --to notebook --execute}), into a temporary folder: the run fails on any
 * cell error, and the executed notebook must have run every code cell, shown no error and drawn
 * its plots. Each notebook runs {@code bin/pretext} on tiny synthetic data itself.
 *
 * <p>An integration test (failsafe, {@code mvn verify}'s integration-test phase), because
 * {@code bin/pretext} runs the shaded jar, which the package phase builds after the unit tests.
 * Skipped only where {@code jupyter nbconvert} is missing and the environment variable {@code CI}
 * is unset; in CI ({@code CI=true}, {@code .ci/run} installs it with {@code bin/install-notebook-deps})
 * a missing Jupyter is a failure.
 */
@Tag("notebooks")
class NotebooksIT {
    private static final Path NOTEBOOKS = Path.of("..", "notebooks");
    /** PNG outputs each notebook must show at least. */
    private static final Map<String, Integer> PLOTS = Map.of(
            "01-explore-dataset.ipynb", 4, "02-compare-runs.ipynb", 4, "03-features.ipynb", 2);

    @TempDir
    Path dir;

    static Stream<String> notebooks() throws IOException {
        try (Stream<Path> s = Files.list(NOTEBOOKS)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ipynb")).sorted().toList();
            assertEquals(PLOTS.keySet().stream().sorted().toList(), names, "the notebooks this test knows");
            return names.stream();
        }
    }

    static boolean jupyterPresent() {
        try {
            Process p = new ProcessBuilder("jupyter", "nbconvert", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void executesHeadlessWithoutErrors(String name) throws Exception {
        boolean jupyter = jupyterPresent();
        String ci = System.getenv("CI");
        assumeTrue(jupyter || ci != null && !ci.isEmpty(),
                "jupyter nbconvert is not installed (bin/install-notebook-deps) and CI is unset: notebooks not run");
        assertTrue(jupyter, "CI is set but 'jupyter nbconvert' is missing: .ci/run must call bin/install-notebook-deps");

        Path out = dir.resolve("out");
        Path log = dir.resolve("nbconvert.log");
        ProcessBuilder pb = new ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=900", "--output-dir", out.toString(),
                NOTEBOOKS.resolve(name).toAbsolutePath().normalize().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PRETEXT_NOTEBOOK_WORK", dir.resolve("work").toString());
        pb.environment().put("PRETEXT_HOME", new File("..").getCanonicalPath());
        pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");   // ipykernel's debugger note, on every start
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(25, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(name + " did not finish in 25 minutes:\n" + tail(log));
        }
        System.err.printf("notebooks: %s executed in %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
        assertEquals(0, p.exitValue(), name + " failed:\n" + tail(log));

        JsonNode nb = new ObjectMapper().readTree(out.resolve(name).toFile());
        int code = 0, pngs = 0;
        for (JsonNode cell : nb.path("cells")) {
            if (!"code".equals(cell.path("cell_type").asText())) continue;
            code++;
            assertFalse(cell.path("execution_count").isNull(), name + ": a code cell was not executed");
            for (JsonNode o : cell.path("outputs")) {
                assertFalse("error".equals(o.path("output_type").asText()), name + ": " + o);
                if (o.path("data").has("image/png")) pngs++;
            }
        }
        assertTrue(code >= 4, name + " has " + code + " code cells");
        assertTrue(pngs >= PLOTS.get(name), name + " showed " + pngs + " plots, expected at least " + PLOTS.get(name));
    }

    private static String tail(Path log) throws IOException {
        String s = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
        return s.length() <= 8000 ? s : s.substring(s.length() - 8000);
    }
}
