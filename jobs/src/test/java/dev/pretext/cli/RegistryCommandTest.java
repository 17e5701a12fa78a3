package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pretext.data.FsDir;
import dev.pretext.hdfs.HdfsCluster;
import dev.pretext.jobs.RunLock;
import dev.pretext.jobs.RunLockHolder;
import dev.pretext.registry.ModelRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code registry list|show|promote|rollback} through the real command line on registries written
 * as {@code retrain} writes them (versions with a checkpoint and a record; no Spark): the champion
 * pointer, the rollback stack, keep-last-N that never deletes the champion or the rollback target,
 * the lock against a second process, and the same round trip on a real HDFS (MiniDFSCluster).
 */
class RegistryCommandTest {
    @TempDir
    Path dir;

    static CompareCommandTest.Out run(String... argv) {
        return CompareCommandTest.run(argv);
    }

    /** A version as retrain leaves it: a record and (unless {@code checkpoint} is false) a complete checkpoint. */
    static String version(ModelRegistry reg, String status, boolean checkpoint) throws Exception {
        String v = reg.create();
        ObjectNode r = ModelRegistry.newRecord(v);
        r.put("status", status);
        r.putObject("metrics").put("linear_top1", 0.25).put("knn_top1", 0.2);
        r.putObject("data").put("images", "/t/images").putObject("counts").put("train", 256).put("test", 64);
        reg.writeRecord(v, r);
        if (checkpoint) {
            FsDir c = reg.dir(v).child("checkpoints/epoch-0001");
            c.mkdirs();
            try (OutputStream o = c.child("model.zip").create()) {
                o.write(new byte[] {'P', 'K', 3, 4});
            }
            try (OutputStream o = c.child("trainer-state.json").create()) {
                o.write(("{\"format_version\":1,\"epochs_completed\":1,\"chunks_completed\":0,\"chunks_per_epoch\":1,"
                        + "\"iteration_count\":8,\"epoch_count\":0,\"elapsed_seconds\":1.0,\"seed\":42,\"rng_state\":null,"
                        + "\"trainer\":\"paramavg\",\"method_state\":{}}").getBytes(StandardCharsets.UTF_8));
            }
        }
        return v;
    }

    private static void roundTrip(String root) throws Exception {
        ModelRegistry reg = ModelRegistry.at(root);
        CompareCommandTest.Out empty = run("registry", "list", "--registry", root);
        assertEquals(0, empty.status(), empty.err());
        assertTrue(empty.out().contains("0 version(s), champion none"), empty.out());
        for (int i = 0; i < 3; i++) {
            version(reg, ModelRegistry.REJECTED, true);
        }
        String noCheckpoint = version(reg, ModelRegistry.FAILED, false);
        assertEquals(List.of("v0001", "v0002", "v0003", "v0004"), reg.versions());

        // promote: v1, then v2 and v3 (v2 by number): each older champion goes on the rollback stack
        assertEquals(0, run("registry", "promote", "v0001", "--registry", root).status());
        assertEquals(0, run("registry", "promote", "2", "--registry", root).status());
        CompareCommandTest.Out p3 = run("registry", "promote", "v3", "--registry", root, "--reason", "hand-checked");
        assertEquals(0, p3.status(), p3.err());
        assertTrue(p3.out().contains("v0003 is the champion (was v0002)"), p3.out());
        ModelRegistry.Pointer c = reg.champion().orElseThrow();
        assertEquals("v0003", c.version());
        assertEquals(List.of("v0002", "v0001"), c.previous());
        assertEquals("hand-checked", c.reason());

        // refused: no checkpoint, unknown version, already champion; the pointer does not move
        CompareCommandTest.Out bad = run("registry", "promote", noCheckpoint, "--registry", root);
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("no complete checkpoint"), bad.err());
        CompareCommandTest.Out unknown = run("registry", "promote", "v0042", "--registry", root);
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("no version v0042 (versions: v0001, v0002, v0003, v0004)"), unknown.err());
        assertEquals(2, run("registry", "promote", "v0003", "--registry", root).status());
        assertEquals("v0003", reg.champion().orElseThrow().version());

        CompareCommandTest.Out list = run("registry", "list", "--registry", root);
        assertTrue(list.out().contains("4 version(s), champion v0003"), list.out());
        assertTrue(list.out().contains("* v0003"), list.out());
        assertTrue(list.out().indexOf("v0004") < list.out().indexOf("v0001 "), "newest first:\n" + list.out());
        CompareCommandTest.Out show = run("registry", "show", "--registry", root);
        assertEquals(0, show.status(), show.err());
        assertTrue(show.out().startsWith("v0003 in ") && show.out().contains("champion since"), show.out());
        assertTrue(show.out().contains("\"linear_top1\" : 0.25"), show.out());

        // rollback pops the stack: v3 -> v2 -> v1, then nothing is left
        CompareCommandTest.Out r1 = run("registry", "rollback", "--registry", root);
        assertEquals(0, r1.status(), r1.err());
        assertTrue(r1.out().contains("rolled back from v0003 to v0002"), r1.out());
        assertEquals(List.of("v0001"), reg.champion().orElseThrow().previous());
        assertEquals(0, run("registry", "rollback", "--registry", root).status());
        assertEquals("v0001", reg.champion().orElseThrow().version());
        CompareCommandTest.Out none = run("registry", "rollback", "--registry", root);
        assertEquals(2, none.status());
        assertTrue(none.err().contains("no earlier champion of v0001"), none.err());

        // a promotion after rollbacks stacks on the restored champion: rolling it back returns to v1
        assertEquals(0, run("registry", "promote", "v0003", "--registry", root).status());
        assertEquals(List.of("v0001"), reg.champion().orElseThrow().previous());
        assertEquals(0, run("registry", "rollback", "--registry", root).status());
        assertEquals("v0001", reg.champion().orElseThrow().version());
        List<JsonNode> history = reg.history();
        assertEquals(List.of("promote", "promote", "promote", "rollback", "rollback", "promote", "rollback"),
                history.stream().map(h -> h.path("action").asText()).toList());
        assertEquals("v0003", history.get(3).path("from").asText());
        assertEquals("v0002", history.get(3).path("version").asText());
        assertFalse(reg.root().list().stream().anyMatch(f -> f.name().contains(".tmp-")), "temporary files left");
    }

    @Test
    void promoteRollbackListAndShowOnALocalRegistry() throws Exception {
        roundTrip(dir.resolve("reg").toString());
    }

    @Test
    void theSameRoundTripOnHdfs() throws Exception {
        try (HdfsCluster hdfs = HdfsCluster.start(dir.resolve("dfs"))) {
            roundTrip(hdfs.path("pretext/registry"));
            assertTrue(hdfs.exists("pretext/registry/champion"));
            assertTrue(hdfs.exists("pretext/registry/versions/v0004/version.json"));
        }
    }

    @Test
    void keepLastNNeverDeletesTheChampionNorTheRollbackTarget() throws Exception {
        ModelRegistry reg = ModelRegistry.at(dir.resolve("keep").toString());
        for (int i = 0; i < 6; i++) {
            version(reg, ModelRegistry.REJECTED, true);
        }
        reg.promote("v0001", "test", "first");
        reg.promote("v0002", "test", "second");
        // champion v0002, rollback target v0001, newest two v0005, v0006
        assertEquals(List.of("v0003", "v0004"), reg.prune(2));
        assertEquals(List.of("v0001", "v0002", "v0005", "v0006"), reg.versions());
        // keep 1: the newest stays, and still the champion and the rollback target
        assertEquals(List.of("v0005"), reg.prune(1));
        assertEquals(List.of("v0001", "v0002", "v0006"), reg.versions());
        assertEquals("v0002", reg.champion().orElseThrow().version());
        // after a rollback the old champion is no one's rollback target any more and can go
        reg.rollback("test", "back");
        assertEquals(List.of("v0002"), reg.prune(1));
        assertEquals(List.of("v0001", "v0006"), reg.versions());
    }

    @Test
    void unfinishedVersionsOfADeadCycleAreMarkedAndTheChampionKept() throws Exception {
        ModelRegistry reg = ModelRegistry.at(dir.resolve("dead").toString());
        String champ = version(reg, ModelRegistry.PROMOTED, true);
        reg.promote(champ, "test", "first");
        String killed = version(reg, ModelRegistry.EVALUATING, true);
        List<String> marked = reg.markInterrupted("found by a test");
        assertEquals(List.of(killed + ": failed (interrupted while evaluating)"), marked);
        assertEquals(ModelRegistry.FAILED, reg.record(killed).path("status").asText());
        assertTrue(reg.record(killed).path("error").asText().contains("found by a test"));
        assertEquals(champ, reg.champion().orElseThrow().version());
        assertEquals(ModelRegistry.PROMOTED, reg.record(champ).path("status").asText());
    }

    @Test
    void aSecondProcessCannotChangeTheRegistryWhileOneHoldsIt() throws Exception {
        Path root = dir.resolve("locked");
        ModelRegistry reg = ModelRegistry.at(root.toString());
        version(reg, ModelRegistry.REJECTED, true);
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), RunLockHolder.class.getName(), root.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", r.readLine());
            CompareCommandTest.Out o = run("registry", "promote", "v0001", "--registry", root.toString());
            assertEquals(2, o.status());
            assertTrue(o.err().contains("registry " + root + " is in use by another process (pid " + holder.pid()), o.err());
            CompareCommandTest.Out rt = run("retrain", "--registry", root.toString(), "--set", "spark.master=local[1]");
            assertEquals(2, rt.status(), rt.out() + rt.err());
            assertTrue(rt.err().contains("is in use by another process (pid " + holder.pid()), rt.err());
            assertTrue(reg.champion().isEmpty(), "nothing was promoted");
            assertEquals(List.of("v0001"), reg.versions(), "the refused retrain made no version");
        } finally {
            holder.getOutputStream().close();
            holder.waitFor(30, TimeUnit.SECONDS);
            holder.destroyForcibly();
        }
        assertFalse(root.resolve(RunLock.FILE).toFile().exists());
        assertEquals(0, run("registry", "promote", "v0001", "--registry", root.toString()).status());
    }
}
