package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.cli.CompareCommandTest.Out;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * MV-MR and distillation through the real command line on a tiny synthetic STL-10 set (96x96): the
 * descriptors computed in the run, reused on resume, a teacher of another width, and descriptors
 * tables refused for other images, other parameters and missing columns.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MvMrCommandTest {
    @TempDir
    static Path dir;

    static String[] pipeline(String id, String... extra) {
        List<String> a = new ArrayList<>(List.of("pipeline", "--set", "spark.master=local[2]",
                "--set", "data.format=stl10", "--set", "data.synth.train-images=48",
                "--set", "data.synth.test-images=24", "--set", "data.synth.unlabeled-images=24",
                "--set", "data.shards=2", "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=1", "--set", "train.batch-size=8", "--set", "train.chunks-per-epoch=1",
                "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=5",
                "--set", "eval.monitor.train-images=0", "--set", "eval.baselines=false",
                "--set", "method.mvmr.projector=[64,32]", "--set", "method.distill.projector=[64,32]",
                "--set", "run.dir=" + dir, "--set", "run.id=" + id));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    static JsonNode report(String id) throws Exception {
        return new ObjectMapper().readTree(dir.resolve(id).resolve("report.json").toFile());
    }

    @Test
    @Order(1)
    void mvmrComputesItsDescriptorsInTheRunAndTrains() throws Exception {
        Out o = CompareCommandTest.run(pipeline("mv", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=hog,lsd,image"));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("describe: computing [hog, lsd, image]"), o.err());
        assertTrue(Files.isRegularFile(dir.resolve("mv/descriptors/_manifest.json")));
        JsonNode r = report("mv");
        assertEquals("mvmr", r.path("method").asText());
        assertTrue(r.at("/probe/linear_top1").isNumber(), r.toString());
        assertTrue(Double.isFinite(r.at("/pretrain/final_loss").asDouble()), r.toString());

        // a second invocation resumes: the descriptors are reused, not recomputed
        Out again = CompareCommandTest.run(pipeline("mv", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=hog,lsd,image"));
        assertEquals(0, again.status(), again.err());
        assertTrue(again.err().contains("descriptors table already computed"), again.err());
    }

    @Test
    @Order(2)
    void aStudentOfAnotherWidthDistilsTheRun() throws Exception {
        Out o = CompareCommandTest.run(pipeline("student", "--set", "method.name=distill",
                "--set", "method.distill.teacher=" + dir.resolve("mv") + "=mv", "--set", "model.width=0.125",
                "--set", "data.table=" + dir.resolve("mv/images")));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("computing [teacher_mv]"), o.err());
        JsonNode r = report("student");
        assertEquals("distill", r.path("method").asText());
        assertEquals(0.125, r.path("width").asDouble(), 0.0);
        assertTrue(r.at("/probe/linear_top1").isNumber(), r.toString());
    }

    @Test
    @Order(3)
    void aDescriptorsTableMadeFromOtherImagesIsRefused() {
        Out o = CompareCommandTest.run(pipeline("other", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=hog,lsd", "--set", "data.synth.seed=99",
                "--set", "data.descriptors=" + dir.resolve("mv/descriptors")));
        assertEquals(2, o.status(), o.err());
        assertTrue(o.err().contains("does not match this run") && o.err().contains("made from other images"), o.err());
    }

    @Test
    @Order(4)
    void otherParametersAndMissingColumnsAreRefused() {
        Out params = CompareCommandTest.run(pipeline("params", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=hog", "--set", "describe.hog.cell-size=4",
                "--set", "data.table=" + dir.resolve("mv/images"),
                "--set", "data.descriptors=" + dir.resolve("mv/descriptors")));
        assertEquals(2, params.status(), params.err());
        assertTrue(params.err().contains("column hog was computed with"), params.err());
        Out missing = CompareCommandTest.run(pipeline("missing", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=hog,augmented",
                "--set", "data.table=" + dir.resolve("mv/images"),
                "--set", "data.descriptors=" + dir.resolve("mv/descriptors")));
        assertEquals(2, missing.status(), missing.err());
        assertTrue(missing.err().contains("no column augmented"), missing.err());
        // and the matching subset is accepted as it is
        Out subset = CompareCommandTest.run(pipeline("subset", "--set", "method.name=mvmr",
                "--set", "method.mvmr.descriptors=lsd",
                "--set", "data.table=" + dir.resolve("mv/images"),
                "--set", "data.descriptors=" + dir.resolve("mv/descriptors")));
        assertEquals(0, subset.status(), subset.err());
        assertTrue(subset.err().contains("describe: reusing"), subset.err());
    }

    @Test
    @Order(5)
    void compareRunsDescriptorVariantsOnOneSharedTable() throws Exception {
        Path out = dir.resolve("ablation");
        List<String> a = new ArrayList<>(List.of("compare", "--methods", "simclr,mvmr", "--variants", "hog;lsd,image",
                "--out", out.toString()));
        String[] p = pipeline("unused");
        for (int i = 1; i < p.length; i += 2) {
            if (!p[i + 1].startsWith("run.")) {
                a.add(p[i]);
                a.add(p[i + 1]);
            }
        }
        Out o = CompareCommandTest.run(a.toArray(new String[0]));
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("one descriptors table [hog, lsd, image] for [mvmr-hog, mvmr-lsd_image]"), o.err());
        assertEquals(1, o.err().split("describe: computing", -1).length - 1, "computed once: " + o.err());
        JsonNode c = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
        List<String> names = new ArrayList<>();
        c.path("rows").forEach(r -> names.add(r.path("name").asText()));
        assertEquals(List.of("simclr", "mvmr-hog", "mvmr-lsd_image"), names);
        c.path("rows").forEach(r -> assertEquals("ok", r.path("status").asText(), r.toString()));
        assertTrue(Files.readString(out.resolve("mvmr-lsd_image").resolve("config.conf")).contains("lsd"));
    }
}
