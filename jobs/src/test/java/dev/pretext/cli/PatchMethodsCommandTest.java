package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.cli.CompareCommandTest.Out;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The patch methods through the real command line on tiny synthetic CIFAR-10: pre-training and their own evaluation. */
class PatchMethodsCommandTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"context-ae", "jigsaw", "relpos"})
    void thePipelineTrainsAndEvaluatesAPatchMethod(String method) throws Exception {
        List<String> a = new ArrayList<>(List.of("pipeline", "--set", "spark.master=local[2]",
                "--set", "method.name=" + method, "--set", "data.synth.train-images=64",
                "--set", "data.synth.test-images=32", "--set", "data.shards=2", "--set", "model.backbone=conv4",
                "--set", "model.width=0.25", "--set", "train.epochs=1", "--set", "train.batch-size=8",
                "--set", "train.chunks-per-epoch=1", "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]",
                "--set", "eval.knn-k=5", "--set", "eval.monitor.train-images=0", "--set", "run.dir=" + dir,
                "--set", "run.id=" + method));
        if (method.equals("jigsaw")) {
            a.addAll(List.of("--set", "method.jigsaw.permutations=24", "--set", "method.jigsaw.head-hidden=32"));
        }
        if (method.equals("context-ae")) {
            a.addAll(List.of("--set", "method.context-ae.decoder-hidden=32", "--set",
                    "method.context-ae.decoder-channels=4"));
        }
        Out o = CompareCommandTest.run(a.toArray(new String[0]));
        assertEquals(0, o.status(), o.err());
        JsonNode r = new ObjectMapper().readTree(dir.resolve(method).resolve("report.json").toFile());
        assertEquals(method, r.path("method").asText());
        assertTrue(Double.isFinite(r.at("/pretrain/final_loss").asDouble()), r.toString());
        assertTrue(r.at("/probe/linear_top1").isNumber(), r.toString());
        int width = 64;   // conv4 x 0.25
        assertEquals(method.equals("context-ae") ? 16 * width : width, r.at("/probe/features").asInt(),
                "the method's own evaluation encoder");
        assertEquals(r.at("/probe/features").asInt(), r.at("/baselines/random_init/features").asInt());
    }
}
