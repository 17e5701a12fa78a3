package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pretext.UserError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

/** {@code bench} and {@code bench memory}: their arithmetic and tables, without timing anything. */
class BenchCommandTest {
    @Test
    void imagesCoverAWarmUpRoundAndTheTimedRoundsOfEveryWorker() {
        // 1 worker, averaging every 40, batch 128, 2 timed rounds: 3 partitions of 40 minibatches + 64 images
        assertEquals(3 * (40 * 128 + 64), BenchCommand.imagesNeeded(1, 40, 2, 128));
        assertEquals(2 * 4 * (40 * 128 + 64), BenchCommand.imagesNeeded(2, 40, 3, 128));
        // the margin stays under a tenth of a partition (ViewsBatchSource respreads a partition that drops more)
        int perPartition = BenchCommand.imagesNeeded(1, 2, 1, 100) / 2;
        assertEquals(2 * 100 + 20, perPartition);
        assertThrows(UserError.class, () -> BenchCommand.imagesNeeded(1000, 1000, 100, 1024));
    }

    @Test
    void tableSaysHowItWasMeasuredWithRatiosAndMemory() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("machine", "2 cores, Java 17");
        r.put("backbone", "resnet18-cifar");
        r.put("width", 0.25);
        r.put("batch_size", 128);
        r.put("workers", 1);
        r.put("averaging_frequency", 40);
        r.put("rounds", 2);
        r.put("warmup_minibatches_planned", 40);
        r.put("timed_minibatches_planned", 80);
        r.put("single_network_warmup_steps", 3);
        r.put("single_network_steps", 20);
        r.put("images", 15552);
        r.put("spark_master", "local[*]");
        r.put("executors_in_driver_jvm", true);
        r.put("ingest_images_per_s", 550.0);
        Map<String, Object> memory = Map.of("heap_used_peak_bytes", 1L << 30, "javacpp_physical_bytes_peak", 3L << 30);
        r.put("pretrain", Map.of("paramavg", Map.of("source_images_per_s", 100.0, "memory", memory)));
        r.put("single_network", Map.of("source_images_per_s", 110.0));
        r.put("peer", Map.of("status", "ok", "source_images_per_s", 200.0));
        r.put("peak_memory", Map.of("vmhwm_bytes", 5L << 30, "executors_in_driver_jvm", true,
                "heap_max_bytes", 6L << 30, "javacpp_max_physical_bytes", 14L << 30, "javacpp_max_bytes", 8L << 30));
        String t = BenchCommand.table(r);
        assertTrue(t.contains("1 worker(s), averaging every 40 minibatches; Spark local[*] (the executors run inside"
                + " the driver JVM)"), t);
        assertTrue(t.contains("a warm-up chunk of one averaging round (40 minibatches, not timed), then a timed chunk of"
                + " 2 rounds (80 minibatches); 15552 synthetic images"), t);
        assertTrue(t.contains("| SimCLR pre-training, paramavg x1 (source images/s) | 100.0 | 0.50x | heap 1.0 GiB,"
                + " resident 3.0 GiB |"), t);
        assertTrue(t.contains("| SimCLR, one network outside Spark (source images/s) | 110.0 | 0.55x |"), t);
        assertTrue(t.contains("| PyTorch peer SimCLR (source images/s) | 200.0 | 1.00x | |"), t);
        assertTrue(t.contains("| ingest (CIFAR-10 binary to Parquet) | 550 | | |"), t);
        assertTrue(t.contains("(VmHWM, the whole command): 5.0 GiB, driver and local executors together; limits: heap"
                + " 6.0 GiB, JavaCPP maxphysicalbytes 14.0 GiB, maxbytes 8.0 GiB"), t);
        assertFalse(t.contains("frozen features"), "absent measurements leave no row: " + t);
    }

    @Test
    void procStatusLinesAreReadInBytes() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  2097152 kB\nVmRSS:\t 1048576 kB\n";
        assertEquals(OptionalLong.of(2L << 30), MemoryPeaks.statusBytes(status, "VmHWM"));
        assertEquals(OptionalLong.empty(), MemoryPeaks.statusBytes(status, "VmSwap"));
        assertEquals("2.0 GiB", MemoryPeaks.size(2L << 30));
        assertEquals("512 MiB", MemoryPeaks.size(512L << 20));
        assertEquals("", MemoryPeaks.size(null));
    }

    @Test
    void memoryBatchSizesAreIncreasingWholeNumbers() {
        assertEquals(List.of(64, 128, 256), MemoryBench.batchSizes("256, 64,128,64"));
        assertThrows(UserError.class, () -> MemoryBench.batchSizes("64,1"));
        assertThrows(UserError.class, () -> MemoryBench.batchSizes("64,lots"));
        assertThrows(UserError.class, () -> MemoryBench.batchSizes(" , "));
    }

    @Test
    void memoryTableNamesTheLimitHitAndWhatToRaise() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", "simclr");
        r.put("views", 2);
        r.put("backbone", "resnet18-cifar");
        r.put("width", 1.0);
        r.put("steps", 2);
        r.put("machine", "2 cores, Java 17");
        r.put("heap_max_bytes", 6L << 30);
        r.put("javacpp_max_bytes", 8L << 30);
        r.put("javacpp_max_physical_bytes", 14L << 30);
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("batch_size", 64);
        ok.put("status", "ok");
        ok.put("ms_per_step", 812.4);
        ok.put("source_images_per_s", 78.8);
        ok.put("memory", Map.of("heap_used_peak_bytes", 200L << 20, "javacpp_physical_bytes_peak", 2L << 30,
                "javacpp_total_bytes_peak", 12L << 20));
        Map<String, Object> oom = new LinkedHashMap<>();
        oom.put("batch_size", 128);
        oom.put("status", "out of memory");
        oom.put("limit", "maxphysicalbytes");
        oom.put("setting", "PRETEXT_OFFHEAP_PHYS");
        oom.put("remedy", "raise PRETEXT_OFFHEAP_PHYS");
        oom.put("error", "out of memory (...): raise PRETEXT_OFFHEAP_PHYS");
        r.put("sizes", List.of(ok, oom));
        String t = MemoryBench.table(r);
        assertTrue(t.contains("limits: heap 6.0 GiB (PRETEXT_HEAP), JavaCPP maxbytes 8.0 GiB (PRETEXT_OFFHEAP),"
                + " maxphysicalbytes 14.0 GiB (PRETEXT_OFFHEAP_PHYS)"), t);
        assertTrue(t.contains("| 64 | 812 | 78.8 | 200 MiB | 2.0 GiB | 12 MiB | ok |"), t);
        assertTrue(t.contains("| 128 |  |  |  |  |  | out of memory: maxphysicalbytes (PRETEXT_OFFHEAP_PHYS) |"), t);
        assertTrue(t.contains("batch 128: out of memory (...): raise PRETEXT_OFFHEAP_PHYS"), t);
    }

    @Test
    void badValuesAreUserErrors() {
        assertEquals(2, Main.run(new String[]{"bench", "--rounds", "0"}));
        assertEquals(2, Main.run(new String[]{"bench", "memory", "--batch-sizes", "64,1"}));
        assertEquals(2, Main.run(new String[]{"bench", "memory", "--steps", "0"}));
    }
}
