package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pretext.UserError;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.config.Secrets;
import dev.pretext.data.FsDir;
import dev.pretext.hdfs.HdfsCluster;
import dev.pretext.spark.SparkSessions;
import dev.pretext.train.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole run on a real HDFS (MiniDFSCluster on 127.0.0.1): {@code run.dir=hdfs://...}. The pipeline
 * writes config.conf, the lock, the images table, metrics.jsonl, checkpoints, features and the
 * report there; a second process is kept out by the lock on HDFS; a resume continues from the run's
 * checkpoint on HDFS, and when the newest checkpoint's model.zip is truncated it falls back to the
 * previous one and says so. Nothing of the run is written to the local disk.
 */
class RunOnHdfsTest {
    @TempDir
    static Path local;

    static HdfsCluster hdfs;

    @BeforeAll
    static void startHdfs() {
        hdfs = HdfsCluster.start(local.resolve("dfs"));
    }

    @AfterAll
    static void stopHdfs() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static PretextConfig config(int epochs, String... more) {
        List<String> sets = new ArrayList<>(List.of(
                "run.dir=\"" + hdfs.path("runs") + "\"", "run.id=h1", "spark.master=\"local[2]\"",
                "data.synth.train-images=128", "data.synth.test-images=32", "data.shards=2",
                "model.backbone=conv4", "model.width=0.25", "train.epochs=" + epochs, "train.batch-size=32",
                "train.chunks-per-epoch=1", "eval.max-iter=10", "eval.reg-grid=[0.01]", "eval.knn-k=10",
                "eval.baselines=false", "eval.monitor.train-images=0", "eval.monitor.test-images=0"));
        sets.addAll(List.of(more));
        return ConfigLoader.load(List.of(), sets);
    }

    /** Runs the pipeline with stderr copied; returns what it printed there. */
    private static String pipeline(PretextConfig cfg) throws Exception {
        Pipeline p = new Pipeline(cfg);
        assertEquals(hdfs.path("runs/h1"), p.runDir().uri());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(new Tee(old, err), true, StandardCharsets.UTF_8));
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "run-on-hdfs-test");
        try (RunLock lock = p.open()) {
            assertTrue(hdfs.exists("runs/h1/" + RunLock.FILE), "the lock is on HDFS");
            UserError e = assertThrows(UserError.class, () -> RunLock.acquire(p.runDir(), "h1"));
            assertTrue(e.getMessage().startsWith("run h1 is in use by another process (pid "
                    + ProcessHandle.current().pid()), e.getMessage());
            RunReport r = p.run(spark);
            assertEquals("complete", r.get("status"));
        } finally {
            spark.stop();
            System.setErr(old);
        }
        assertFalse(hdfs.exists("runs/h1/" + RunLock.FILE), "released");
        return err.toString(StandardCharsets.UTF_8);
    }

    private static List<String> metricsEpochs() {
        String text = new String(hdfs.read("runs/h1/metrics.jsonl"), StandardCharsets.UTF_8);
        return Arrays.stream(text.split("\n")).filter(l -> !l.isBlank())
                .map(l -> l.replaceAll(".*\"epoch\":(\\d+),\"chunk\":(\\d+).*", "$1.$2")).toList();
    }

    @Test
    void aPipelineRunsResumesAndFallsBackPastADamagedCheckpointOnHdfs() throws Exception {
        // a credential in a URI of the config: kept out of config.conf and report.json
        pipeline(config(2, "data.descriptors=\"s3a://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/none\"",
                "method.name=simclr"));

        List<String> files = hdfs.list("runs/h1");
        for (String f : List.of("config.conf", "metrics.jsonl", "summary.json", "report.json", "report.md",
                "checkpoints", "images", "features")) {
            assertTrue(files.contains(f), f + " in " + files);
        }
        assertEquals(List.of("epoch-0001", "epoch-0002", "latest"), hdfs.list("runs/h1/checkpoints"),
                "no temporary checkpoint directory left");
        assertEquals("epoch-0002", new String(hdfs.read("runs/h1/checkpoints/latest"), StandardCharsets.UTF_8).trim());
        assertTrue(hdfs.list("runs/h1/features/pretrained").contains("_manifest.json"));
        assertEquals(List.of("1.1", "2.1"), metricsEpochs());
        JsonNode report = new ObjectMapper().readTree(hdfs.read("runs/h1/report.json"));
        assertEquals(2, report.at("/pretrain/epochs").asInt());
        assertTrue(report.at("/probe/linear_top1").isNumber(), report.toString());
        String conf = new String(hdfs.read("runs/h1/config.conf"), StandardCharsets.UTF_8);
        assertFalse(conf.contains("wJalrXUtnFEMI"), conf);
        assertTrue(conf.contains("s3a://AKIAEXAMPLE:" + Secrets.REDACTED + "@bucket/none"), conf);

        // the newest checkpoint's model.zip cut short on HDFS: the resume uses epoch-0001 and says so
        byte[] zip = hdfs.read("runs/h1/checkpoints/epoch-0002/model.zip");
        hdfs.write("runs/h1/checkpoints/epoch-0002/model.zip", Arrays.copyOf(zip, zip.length / 3));
        String err = pipeline(config(3, "data.descriptors=\"s3a://AKIAEXAMPLE:rotated-secret@bucket/none\"",
                "method.name=simclr"));
        assertTrue(err.contains("pipeline: resuming run h1 from checkpoint epoch-0002 (2 epochs done), images table"
                + " reused"), err);
        assertTrue(err.contains("skipped the newer checkpoint(s) epoch-0002 (checkpoint " + hdfs.path("runs/h1")
                + "/checkpoints/epoch-0002/model.zip cannot be read"), err);
        assertTrue(err.contains("; using epoch-0001"), err);
        assertTrue(err.contains("resuming from checkpoint epoch-0001: 1 epoch(s)"), err);
        assertFalse(err.contains("rotated-secret"), "a credential in a URI is not logged");
        assertEquals(List.of("1.1", "2.1", "3.1"), metricsEpochs());
        assertEquals(List.of("epoch-0001", "epoch-0002", "epoch-0003", "latest"), hdfs.list("runs/h1/checkpoints"));
        Checkpoints.Checkpoint last = Checkpoints.findLatest(FsDir.of(hdfs.path("runs/h1"))).orElseThrow();
        assertEquals("epoch-0003", last.name());
        assertEquals(3, last.state().epochsCompleted());
        JsonNode again = new ObjectMapper().readTree(hdfs.read("runs/h1/report.json"));
        assertEquals(3, again.at("/pretrain/epochs").asInt());
        assertFalse(new String(hdfs.read("runs/h1/report.json"), StandardCharsets.UTF_8).contains("rotated-secret"));
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
