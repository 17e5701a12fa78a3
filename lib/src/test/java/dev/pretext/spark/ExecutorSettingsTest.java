package dev.pretext.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The executor settings every launch path gets: OMP_NUM_THREADS from spark.executor.cores, the DL4J flags. */
class ExecutorSettingsTest {
    private static SparkConf conf(String master, String... kv) {
        SparkConf c = new SparkConf(false).setMaster(master);
        for (int i = 0; i < kv.length; i += 2) {
            c.set(kv[i], kv[i + 1]);
        }
        return c;
    }

    @Test
    void executorThreadsFollowTheExecutorCoresOnEveryClusterManager() {
        for (String master : List.of("yarn", "spark://127.0.0.1:7077", "k8s://https://api:443", "local-cluster[2,1,1024]")) {
            SparkConf c = conf(master, "spark.executor.cores", "4", "spark.task.cpus", "1");
            assertEquals(List.of(), ExecutorSettings.apply(c), master);
            assertEquals("4", c.get(ExecutorSettings.OMP), master);
            assertTrue(c.contains(ExecutorSettings.MAX_ISA), master);
            String opts = c.get(ExecutorSettings.JAVA_OPTIONS);
            for (String flag : ExecutorSettings.EXECUTOR_FLAGS) {
                assertTrue(opts.contains(flag), master + ": " + opts);
            }
        }
    }

    @Test
    void whatTheUserSetIsKept() {
        SparkConf c = conf("yarn", "spark.executor.cores", "8", ExecutorSettings.OMP, "2",
                ExecutorSettings.JAVA_OPTIONS, "-XX:+UseG1GC -Dorg.eclipse.deeplearning4j.helpers.disable=true");
        ExecutorSettings.apply(c);
        assertEquals("2", c.get(ExecutorSettings.OMP));
        assertEquals("-XX:+UseG1GC -Dorg.eclipse.deeplearning4j.helpers.disable=true"
                        + " -Daeron.publication.unblock.timeout=60000000000 -Djdk.reflect.useDirectMethodHandle=false",
                c.get(ExecutorSettings.JAVA_OPTIONS));
        // applying twice changes nothing more
        assertEquals(Map.of(), ExecutorSettings.plan(c).settings());
    }

    @Test
    void executorsGetTheDriversOneDnnInstructionSetCapOrTheDefault() {
        SparkConf c = conf("yarn", "spark.executor.cores", "2");
        assertEquals("AVX2", ExecutorSettings.plan(c, null).settings().get(ExecutorSettings.MAX_ISA));
        assertEquals("AVX2", ExecutorSettings.plan(c, " ").settings().get(ExecutorSettings.MAX_ISA));
        assertEquals("ALL", ExecutorSettings.plan(c, "ALL").settings().get(ExecutorSettings.MAX_ISA));
        SparkConf user = conf("yarn", ExecutorSettings.MAX_ISA, "AVX512_CORE");
        assertFalse(ExecutorSettings.plan(user, "ALL").settings().containsKey(ExecutorSettings.MAX_ISA), "the user's value is kept");
        assertEquals("spark.executorEnv.DNNL_MAX_CPU_ISA", ExecutorSettings.MAX_ISA);
    }

    @Test
    void withoutExecutorCoresNothingIsGuessedAndANoteSaysWhatToSet() {
        SparkConf c = conf("spark://127.0.0.1:7077");
        List<String> notes = ExecutorSettings.apply(c);
        assertFalse(c.contains(ExecutorSettings.OMP));
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).contains("spark.executor.cores is not set") && notes.get(0).contains("(1)"), notes.get(0));
        SparkConf bad = conf("yarn", "spark.executor.cores", "four");
        assertTrue(ExecutorSettings.apply(bad).get(0).contains("'four'"));
        assertFalse(bad.contains(ExecutorSettings.OMP));
    }

    @Test
    void localMastersRunInTheDriverAndGetNothing() {
        for (String master : List.of("local", "local[*]", "local[2]")) {
            SparkConf c = conf(master, "spark.executor.cores", "4");
            assertEquals(new ExecutorSettings.Plan(Map.of(), List.of()), ExecutorSettings.plan(c), master);
        }
    }
}
