package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.data.Manifest;
import dev.pretext.data.TableCommit;
import dev.pretext.eval.FeatureTable;
import dev.pretext.report.ReportWriter;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code report} on a finished tiny run (an ingested synthetic images table, a features table of
 * class clusters, report.json with probes, layers, baselines and a confusion matrix, metrics.jsonl,
 * config.conf): every plot is a PNG in the plots folder and the same PNG inlined in the page; the
 * page is well-formed and refers to nothing outside itself; several runs make one table with
 * overlaid curves; and headless Chromium renders every plot with no error.
 */
class ReportCommandTest {
    @TempDir
    static Path dir;
    static Path runA, runB;

    @BeforeAll
    static void tinyRuns() throws Exception {
        String data = dir.resolve("cifar").toString();
        String images = dir.resolve("runA/images").toString();
        assertEquals(0, Main.run(new String[]{"synth", "--format", "cifar10", "--out", data, "--train", "64", "--test", "60"}));
        assertEquals(0, Main.run(new String[]{"ingest", "--dataset", "cifar10", "--input", data, "--out", images,
                "--shards", "1", "--master", "local[2]"}));
        runA = dir.resolve("runA");
        runB = dir.resolve("runB");
        Files.createDirectories(runB);
        Files.writeString(runA.resolve("config.conf"), ConfigLoader.load(List.of(), List.of()).render());
        // the test split's features: 10 classes as clusters, so the map has something to separate
        Random r = new Random(5);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int label = i % 10;
            double[] v = new double[16];
            v[label] = 5;
            for (int k = 0; k < v.length; k++) {
                v[k] += r.nextGaussian() * 0.3;
            }
            rows.add(RowFactory.create(String.format("cifar10/test/%05d", i), "test", label, "embedding", Vectors.dense(v)));
        }
        SparkSession spark = SparkSessions.getOrCreate("local[2]", "report-test");
        try (TableCommit c = TableCommit.begin(spark.sparkContext().hadoopConfiguration(),
                runA.resolve("features/pretrained").toString(), false)) {
            spark.createDataFrame(rows, FeatureTable.SCHEMA).write().parquet(c.tempDir());
            c.commit(Manifest.create(1, "features", "cifar10", List.of(), Map.of("test", 60L), 60, 0, Map.of()));
        } finally {
            spark.stop();
        }
        long[][] confusion = new long[10][10];
        for (int t = 0; t < 10; t++) {
            confusion[t][t] = 5;
            confusion[t][(t + 1) % 10] = 1;
        }
        writeRun(runA, "runA", "simclr", 0.83, confusion, 1.0);
        writeRun(runB, "runB", "byol", 0.61, null, 0.5);
    }

    static void writeRun(Path run, String id, String method, double top1, long[][] confusion, double lossScale)
            throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("run_id", id);
        report.put("status", "complete");
        report.put("method", method);
        report.put("backbone", "conv4");
        report.put("width", 0.25);
        report.put("dataset", Map.of("format", "cifar10", "input", "synthetic", "train_images", 64, "test_split", "test",
                "test_images", 60, "unlabeled_images", 0));
        report.put("pretrain", Map.of("epochs", 3, "steps", 6, "seconds", 12.5, "images_per_s", 40.0, "final_loss", 3.1,
                "stopped_reason", "completed", "trainer", "paramavg"));
        Map<String, Object> probe = new LinkedHashMap<>(Map.of("linear_top1", top1, "linear_top5", 0.99, "knn_top1",
                top1 - 0.05, "features", 16));
        if (confusion != null) {
            probe.put("confusion", confusion);
        }
        report.put("probe", probe);
        report.put("layers", Map.of("block2", Map.of("linear_top1", 0.5, "linear_top5", 0.9, "knn_top1", 0.4)));
        report.put("baselines", Map.of("random_init", Map.of("linear_top1", 0.3, "linear_top5", 0.8, "knn_top1", 0.2),
                "raw_pixels", Map.of("linear_top1", 0.2, "linear_top5", 0.6, "knn_top1", 0.2)));
        Files.writeString(run.resolve("report.json"), new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(report));
        StringBuilder metrics = new StringBuilder();
        for (int c = 1; c <= 3; c++) {
            metrics.append(String.format(java.util.Locale.ROOT, "{\"epoch\":%d,\"chunk\":1,\"step\":%d,\"loss\":%f,"
                    + "\"lr\":%f,\"images_per_s\":%f,\"embedding_std\":%f,\"effective_rank\":%f,\"knn_top1\":null,"
                    + "\"elapsed_s\":%f,\"trainer\":\"paramavg\"}%n", c, 2 * c, lossScale * (5 - c), 0.001 * c, 30.0 + c,
                    0.05 * c, 10.0 + c, 4.0 * c));
        }
        Files.writeString(run.resolve("metrics.jsonl"), metrics);
    }

    static Document parse(Path html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(html.toFile());
    }

    /** Every src, href and CSS url() of the page: data: URIs and in-page anchors only. */
    static void assertSelfContained(String html) {
        Matcher m = Pattern.compile("(?:src|href)\\s*=\\s*\"([^\"]*)\"").matcher(html);
        while (m.find()) {
            String v = m.group(1);
            assertTrue(v.startsWith("data:image/png;base64,") || v.startsWith("#"), "external reference: " + v);
        }
        for (String banned : List.of("http://", "https://", "url(", "@import", "<link", "<iframe", "//cdn")) {
            assertFalse(html.contains(banned), "page contains " + banned);
        }
    }

    /** The inlined PNGs by their data-plot name, each checked to decode and to equal the file in the plots folder. */
    static Map<String, BufferedImage> inlinedPlots(Document doc, Path plots) throws Exception {
        Map<String, BufferedImage> out = new LinkedHashMap<>();
        NodeList imgs = doc.getElementsByTagName("img");
        for (int i = 0; i < imgs.getLength(); i++) {
            Element img = (Element) imgs.item(i);
            String name = img.getAttribute("data-plot");
            byte[] png = Base64.getDecoder().decode(img.getAttribute("src").substring("data:image/png;base64,".length()));
            assertArrayEquals(Files.readAllBytes(plots.resolve(name)), png, name + " inlined as written");
            BufferedImage bi = ImageIO.read(new ByteArrayInputStream(png));
            assertNotNull(bi, name + " decodes");
            assertTrue(bi.getWidth() > 100 && bi.getHeight() > 100, name);
            out.put(name, bi);
        }
        return out;
    }

    @Test
    void oneRunHasEveryPartAndNothingExternal() throws Exception {
        assertEquals(0, Main.run(new String[]{"report", runA.toString(), "--master", "local[2]", "--sample", "50"}));
        Path html = runA.resolve("report.html");
        Path plots = runA.resolve("report-plots");
        String text = Files.readString(html);
        assertSelfContained(text);
        Document doc = parse(html);
        Map<String, BufferedImage> figs = inlinedPlots(doc, plots);
        List<String> want = List.of("curve-loss.png", "curve-lr.png", "curve-images_per_s.png",
                "curve-embedding_std.png", "curve-effective_rank.png", "tsne.png", "confusion.png", "views.png");
        assertEquals(new java.util.TreeSet<>(want), new java.util.TreeSet<>(figs.keySet()),
                "every plot, and knn_top1 (null throughout) left out");
        try (Stream<Path> s = Files.list(plots)) {
            assertEquals(want.size(), s.filter(p -> p.toFile().length() > 0).count(), "every plot file non-empty");
        }
        assertFalse(text.contains("class=\"error\""), "a part failed: " + text.replaceAll("base64,[^\"]*", ""));
        // the views sheet: 8 images, each with the SimCLR's 2 views, 32 px at scale 3 in 3 columns
        assertEquals(3 * (32 * 3 + 1) + 1, figs.get("views.png").getWidth());
        assertEquals(8 * (32 * 3 + 1) + 1, figs.get("views.png").getHeight());
        // the table: pre-trained, its layer, both baselines; the config and lineage sections
        for (String s : List.of("pre-trained conv4 (simclr)", "layer block2 (pooled)", "random-init conv4", "raw pixels",
                "83.0%", "+53.0 points", "Resolved config", "model {", "images per split", "code version")) {
            assertTrue(text.contains(s), "page lacks '" + s + "'");
        }
        // the map is drawn in the class colours of the legend: the 10 tab10 colours all appear
        BufferedImage map = figs.get("tsne.png");
        for (java.awt.Color c : dev.pretext.jobs.CurvePlot.PALETTE) {
            boolean found = false;
            for (int y = 0; y < map.getHeight() && !found; y++) {
                for (int x = 0; x < 590 && !found; x++) {
                    found = (map.getRGB(x, y) & 0xffffff) == c.getRGB() - 0xff000000;
                }
            }
            assertTrue(found, "class colour " + c + " missing from the map");
        }
        // rewriting replaces the page and its plots, leaving no temporary files
        assertEquals(0, Main.run(new String[]{"report", runA.toString(), "--master", "local[2]", "--sample", "50"}));
        try (Stream<Path> s = Files.list(runA)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList());
        }
    }

    @Test
    void severalRunsOneTableAndOverlaidCurves() throws Exception {
        Path out = dir.resolve("cmp/compare.html");
        assertEquals(0, Main.run(new String[]{"report", runA.toString(), runB.toString(), "--out", out.toString()}));
        String text = Files.readString(out);
        assertSelfContained(text);
        Map<String, BufferedImage> figs = inlinedPlots(parse(out), dir.resolve("cmp/compare-plots"));
        assertTrue(figs.containsKey("curve-loss.png"), figs.keySet().toString());
        // two runs: both series' colours (tab10's first two) are drawn in the loss plot
        BufferedImage loss = figs.get("curve-loss.png");
        for (int s = 0; s < 2; s++) {
            int rgb = dev.pretext.jobs.CurvePlot.color(s).getRGB();
            boolean found = false;
            for (int y = 0; y < dev.pretext.jobs.CurvePlot.PANEL_HEIGHT && !found; y++) {
                for (int x = 0; x < loss.getWidth() && !found; x++) {
                    found = loss.getRGB(x, y) == rgb;
                }
            }
            assertTrue(found, "series " + s + " not drawn");
        }
        for (String s : List.of("runA", "runB", "simclr", "byol", "83.0%", "61.0%", "random-init (baseline)")) {
            assertTrue(text.contains(s), "comparison lacks '" + s + "'");
        }
    }

    @Test
    void notARunOrSeveralWithoutOutAreUserErrors() throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true));
            assertEquals(2, Main.run(new String[]{"report", dir.resolve("cifar").toString()}));
            assertTrue(err.toString().contains("is not a run directory"), err.toString());
            assertEquals(2, Main.run(new String[]{"report", runA.toString(), runB.toString()}));
            assertTrue(err.toString().contains("need --out"), err.toString());
            assertEquals(2, Main.run(new String[]{"report", dir.resolve("nope").toString()}));
        } finally {
            System.setErr(old);
        }
    }

    /**
     * The page in a real browser: headless Chromium loads it from the file (no network), runs its
     * check, and the DOM it dumps says every plot rendered (naturalWidth > 0) and no script error
     * happened, with no error line shown. Skipped only where Chromium is absent and CI is unset
     * (bin/install-report-deps installs it; .ci/run calls that).
     */
    @Test
    void chromiumRendersEveryPlotWithoutError() throws Exception {
        String chromium = Stream.of("chromium", "chromium-browser").map(ReportCommandTest::onPath)
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
        if (chromium == null) {
            assertNull(System.getenv("CI"), "CI is set but chromium is missing: bin/install-report-deps installs it");
            Assumptions.abort("chromium not installed (bin/install-report-deps); CI unset, so the browser check is skipped");
        }
        Path html = dir.resolve("browser/report.html");
        new ReportWriter(50, 1).writeComparison(List.of(runA, runB), html);
        Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        ProcessBuilder pb = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                "--virtual-time-budget=10000", "--dump-dom", html.toUri().toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        byte[] dom = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String text = new String(dom, StandardCharsets.UTF_8);
        Matcher check = Pattern.compile("<div id=\"render-check\"([^>]*)>").matcher(text);
        assertTrue(check.find(), "no render check in the DOM: " + text.substring(0, Math.min(500, text.length())));
        String attrs = check.group(1);
        assertTrue(attrs.contains("data-done=\"true\""), "the page's check did not run: " + attrs);
        int plots = Files.list(dir.resolve("browser/report-plots")).toList().size();
        assertTrue(attrs.contains("data-images=\"" + plots + "\""), plots + " plots expected: " + attrs);
        assertTrue(attrs.contains("data-broken=\"\""), "plots that did not render: " + attrs);
        assertTrue(attrs.contains("data-errors=\"\""), "script errors: " + attrs);
        assertFalse(text.contains("class=\"error\""), "the page shows an error");

        // and the one-run page, with its map, confusion matrix and views
        Path one = dir.resolve("browser-one/report.html");
        assertEquals(0, Main.run(new String[]{"report", runA.toString(), "--out", one.toString(), "--master", "local[2]",
                "--sample", "50"}));
        Process q = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom",
                one.toUri().toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom2 = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(120, TimeUnit.SECONDS));
        assertTrue(dom2.contains("data-done=\"true\"") && dom2.contains("data-broken=\"\"")
                && dom2.contains("data-errors=\"\"") && dom2.contains("data-images=\"8\""), "one-run page: "
                + dom2.replaceAll("base64,[^\"]*", "").substring(0, Math.min(2000, dom2.length())));
    }

    static String onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
