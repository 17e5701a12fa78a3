package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.jobs.CurvePlot;
import dev.pretext.method.Methods;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** {@code methods} and {@code compare} through the real command line (in-process), on a tiny synthetic set. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CompareCommandTest {
    @TempDir
    static Path dir;

    record Out(int status, String out, String err) {
    }

    static Out run(String... argv) {
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int status = Main.run(argv);
            return new Out(status, out.toString(), err.toString());
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
    }

    static String[] compare(String methods, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("compare", "--methods", methods, "--out", out.toString(),
                "--set", "spark.master=local[2]",
                "--set", "data.synth.train-images=256", "--set", "data.synth.test-images=64", "--set", "data.shards=2",
                "--set", "model.backbone=conv4", "--set", "model.width=0.25",
                "--set", "train.epochs=1", "--set", "train.batch-size=32", "--set", "train.chunks-per-epoch=1",
                "--set", "eval.max-iter=10", "--set", "eval.reg-grid=[0.01]", "--set", "eval.knn-k=10",
                "--set", "eval.monitor.train-images=0"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    @Order(1)
    void methodsPrintsTheRegistryWithKeysAndDefaults() {
        Out o = run("methods");
        assertEquals(0, o.status, o.err);
        for (String m : Methods.names()) {
            assertTrue(o.out.contains(m + ": "), "methods lacks " + m + ":\n" + o.out);
        }
        assertTrue(o.out.contains("method.msbreg.views"), o.out);
        assertTrue(o.out.contains("method.simclr.temperature") && o.out.contains("0.2"), o.out);
        assertTrue(o.out.contains("inputs:"), o.out);
        assertEquals(2, run("methods", "extra").status);
        assertEquals(0, run("methods", "--help").status);
        assertEquals(0, run("compare", "--help").status);
    }

    @Test
    @Order(2)
    void badMethodListsAndOutputsFailFastWithoutWritingAnything() throws Exception {
        Path out = dir.resolve("never");
        Out o = run(compare("simclr,nope", out));
        assertEquals(2, o.status);
        assertTrue(o.err.contains("unknown method 'nope'") && o.err.contains(String.join(", ", Methods.names())), o.err);
        assertFalse(Files.exists(out), "nothing is written for a bad method list");

        o = run(compare(" , ", out));
        assertEquals(2, o.status);
        assertTrue(o.err.contains("lists no method"), o.err);
        o = run(compare("simclr,simclr", out));
        assertEquals(2, o.status);
        assertTrue(o.err.contains("twice"), o.err);
        o = run("compare", "--methods", "simclr");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("--out is required"), o.err);
        o = run(compare("simclr", out, "--set", "train.trainer=horovod"));
        assertEquals(2, o.status);
        assertTrue(o.err.contains("train.trainer"), o.err);
        assertFalse(Files.exists(out));

        Path used = Files.createDirectories(dir.resolve("used"));
        Files.writeString(used.resolve("compare.json"), "{}");
        o = run(compare("simclr", used));
        assertEquals(2, o.status);
        assertTrue(o.err.contains("is not empty") && o.err.contains("compare.json"), o.err);
    }

    @Test
    @Order(3)
    void comparesMethodsOnOneTableWithTheBaselinesOnce() throws Exception {
        Path out = dir.resolve("cmp");
        Out o = run(compare("simclr,byol,barlow", out));
        assertEquals(0, o.status, o.err);
        assertTrue(o.err.contains("compare: [1/3] simclr ...") && o.err.contains("compare: [3/3] barlow ..."), o.err);
        assertTrue(o.out.contains("| method") && o.out.contains("raw pixels") && o.out.contains("%"), o.out);

        JsonNode j = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
        assertEquals("complete", j.path("status").asText());
        assertEquals(3, j.path("rows").size());
        List<String> names = new ArrayList<>();
        for (JsonNode r : j.path("rows")) {
            names.add(r.path("name").asText());
            assertEquals("ok", r.path("status").asText(), r.toString());
            for (String k : List.of("linear_top1", "linear_top5", "knn_top1")) {
                double v = r.path(k).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, r.path("name") + "." + k + " = " + r.path(k));
            }
            for (String k : List.of("images_per_s", "pretrain_seconds", "final_loss", "embedding_std", "effective_rank")) {
                assertTrue(r.path(k).isNumber(), r.path("name") + " lacks " + k + ": " + r);
            }
            assertTrue(r.path("images_per_s").asDouble() > 0 && r.path("effective_rank").asDouble() >= 1, r.toString());
        }
        assertEquals(List.of("simclr", "byol", "barlow"), names);
        assertEquals(2, j.path("baselines").size(), j.toString());
        assertEquals("random-init conv4", j.at("/baselines/0/name").asText());
        assertEquals("raw pixels", j.at("/baselines/1/name").asText());
        assertTrue(j.at("/baselines/1/linear_top1").isNumber());
        assertEquals("simclr", j.path("baselines_from").asText());
        assertEquals("conv4", j.at("/config/backbone").asText());
        assertEquals("train.epochs=1", j.at("/config/budget").asText());
        assertEquals(42, j.at("/config/seed").asInt());
        assertTrue(j.path("command").asText().contains("compare --methods simclr,byol,barlow"), j.path("command").asText());
        assertEquals(1, j.at("/curves/byol/loss").size());

        // one table for all, the baselines computed once, each method's own run
        String table = out.resolve("images").toString();
        assertEquals(table, j.path("images_table").asText());
        for (String m : names) {
            JsonNode r = new ObjectMapper().readTree(out.resolve(m).resolve("report.json").toFile());
            assertEquals(m, r.path("method").asText());
            assertEquals(table, r.at("/dataset/input").asText());
            assertEquals(!m.equals("simclr"), r.at("/baselines").isMissingNode(), m + ": " + r.at("/baselines"));
        }
        assertFalse(Files.exists(out.resolve("simclr/images")), "no per-method ingest");

        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("| simclr") && md.contains("| byol") && md.contains("| barlow")
                && md.contains("| random-init conv4") && md.contains("| raw pixels") && md.contains("compare.png"), md);
        assertTrue(md.contains("budget train.epochs=1") && md.contains("backbone conv4"), md);
        BufferedImage png = ImageIO.read(out.resolve("compare.png").toFile());
        assertEquals(2 * CurvePlot.PANEL_WIDTH, png.getWidth());
        assertEquals(CurvePlot.PANEL_HEIGHT + CurvePlot.LEGEND_HEIGHT, png.getHeight());
    }

    @Test
    @Order(4)
    void aFailingMethodGetsItsRowAndTheOthersStillRun() throws Exception {
        Path out = dir.resolve("partial");
        // a queue smaller than the batch: MoCo v2 fails at its first minibatch; the table of the first
        // comparison is reused (data.table)
        Out o = run(compare("mocov2,simsiam", out, "--set", "method.mocov2.queue-size=2",
                "--set", "data.table=\"" + dir.resolve("cmp/images") + "\""));
        assertEquals(2, o.status, o.err);
        assertTrue(o.err.contains("1 of 2 methods did not complete") && o.err.contains("mocov2 failed"), o.err);
        assertTrue(o.out.contains("| simsiam") && o.out.contains("failed"), o.out);

        JsonNode j = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
        assertEquals("partial", j.path("status").asText());
        JsonNode moco = j.at("/rows/0");
        assertEquals("mocov2", moco.path("name").asText());
        assertEquals("failed", moco.path("status").asText());
        assertTrue(moco.path("reason").asText().toLowerCase().contains("queue"), moco.toString());
        assertTrue(moco.path("linear_top1").isNull());
        JsonNode simsiam = j.at("/rows/1");
        assertEquals("ok", simsiam.path("status").asText(), simsiam.toString());
        assertTrue(simsiam.path("linear_top1").isNumber() && simsiam.path("knn_top1").isNumber());
        assertEquals("simsiam", j.path("baselines_from").asText(), "the first run that got through computes the baselines");
        assertEquals(2, j.path("baselines").size());
        assertFalse(Files.exists(out.resolve("images")), "data.table is used, not ingested");
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("mocov2 (failed): ") && md.contains("Status: partial"), md);
        assertTrue(Files.isRegularFile(out.resolve("compare.png")));
    }
}
