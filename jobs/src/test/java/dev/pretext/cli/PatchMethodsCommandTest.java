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
    @ValueSource(strings = {"context-ae", "jigsaw", "relpos", "selfie", "dv2"})
    void thePipelineTrainsAndEvaluatesAPatchMethod(String method) throws Exception {
        Out o = CompareCommandTest.run(args(method, method).toArray(new String[0]));
        assertEquals(0, o.status(), o.err());
        JsonNode r = new ObjectMapper().readTree(dir.resolve(method).resolve("report.json").toFile());
        assertEquals(method, r.path("method").asText());
        assertTrue(Double.isFinite(r.at("/pretrain/final_loss").asDouble()), r.toString());
        assertTrue(r.at("/probe/linear_top1").isNumber(), r.toString());
        int width = 64;   // conv4 x 0.25
        assertEquals(method.equals("context-ae") ? 16 * width : width, r.at("/probe/features").asInt(),
                "the method's own evaluation encoder");
        assertEquals(r.at("/probe/features").asInt(), r.at("/baselines/random_init/features").asInt());
        if (method.equals("selfie") || method.equals("dv2")) {
            assertEquals("complete", r.path("status").asText(), r.toString());
            assertTrue(r.at("/layers/stage3/linear_top1").isNumber(), r.toString());
        }
    }

    @org.junit.jupiter.api.Test
    void aPatchesTableIsReusedWhenItMatchesAndRefusedWhenItDoesNot() throws Exception {
        List<String> base = args("context-ae", "base");
        base.addAll(List.of("--set", "eval.baselines=false"));
        Out first = CompareCommandTest.run(base.toArray(new String[0]));
        assertEquals(0, first.status(), first.err());
        Path images = dir.resolve("base").resolve("images");
        Path grid4 = dir.resolve("grid4");
        Path grid3 = dir.resolve("grid3");
        assertEquals(0, CompareCommandTest.run("patches", "--images", images.toString(), "--grid", "4", "--out",
                grid4.toString()).status());
        assertEquals(0, CompareCommandTest.run("patches", "--images", images.toString(), "--grid", "3", "--out",
                grid3.toString()).status());
        List<String> ok = args("context-ae", "stored");
        ok.addAll(List.of("--set", "eval.baselines=false", "--set", "data.table=" + images, "--set", "data.patches=" + grid4));
        Out o = CompareCommandTest.run(ok.toArray(new String[0]));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("patches from " + grid4), o.err());
        List<String> bad = args("context-ae", "refused");
        bad.addAll(List.of("--set", "data.table=" + images, "--set", "data.patches=" + grid3));
        Out no = CompareCommandTest.run(bad.toArray(new String[0]));
        assertEquals(2, no.status(), no.err());
        assertTrue(no.err().contains("does not match this run") && no.err().contains("grid is 3, the method needs 4"),
                no.err());
    }

    static List<String> args(String method, String id) {
        List<String> a = new ArrayList<>(List.of("pipeline", "--set", "spark.master=local[2]",
                "--set", "method.name=" + method, "--set", "data.synth.train-images=64",
                "--set", "data.synth.test-images=32", "--set", "data.shards=2", "--set", "model.backbone=conv4",
                "--set", "model.width=0.25", "--set", "train.epochs=1", "--set", "train.batch-size=8",
                "--set", "train.chunks-per-epoch=1", "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]",
                "--set", "eval.knn-k=5", "--set", "eval.monitor.train-images=0", "--set", "run.dir=" + dir,
                "--set", "run.id=" + id));
        if (method.equals("jigsaw")) {
            a.addAll(List.of("--set", "method.jigsaw.permutations=24", "--set", "method.jigsaw.head-hidden=32"));
        }
        if (method.equals("context-ae")) {
            a.addAll(List.of("--set", "method.context-ae.decoder-hidden=32", "--set",
                    "method.context-ae.decoder-channels=4"));
        }
        if (method.equals("selfie") || method.equals("dv2")) {
            a.addAll(List.of("--set", "method." + method + ".projection=16", "--set", "method." + method + ".layers=1"));
            // the kNN monitor embeds whole images through the method's evaluation graph (the training
            // graph has a second input, and DV2's self-attention wants whole sets of patches)
            a.addAll(List.of("--set", "eval.monitor.train-images=16", "--set", "eval.monitor.test-images=16"));
            // per-stage probes of the whole-image encoder (DV2's stage 3 follows its self-attention)
            a.addAll(List.of("--set", "eval.layers=[stage2,stage3]"));
        }
        if (method.equals("dv2")) {
            a.addAll(List.of("--set", "method.dv2.vocabulary-size=64", "--set", "train.workers=1"));
        }
        return a;
    }
}
