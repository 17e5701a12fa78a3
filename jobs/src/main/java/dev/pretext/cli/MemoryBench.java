package dev.pretext.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import dev.pretext.jobs.Failures;
import dev.pretext.jobs.PretrainStage;
import dev.pretext.method.PretextMethod;
import dev.pretext.nn.CpuAcceleration;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.CrashReportingUtil;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code bench memory}: how much memory one training step takes by batch size, on one network
 * outside Spark, up to the first batch size that runs out of memory, and which limit that was.
 */
@Command(name = "memory",
        header = "peak memory and step time of one network by batch size, up to the first out-of-memory",
        description = """
                One SimCLR network outside Spark (resnet18-cifar width 1.0 by default) for each batch
                size of --batch-sizes in increasing order (default 64,128,256,512,1024): a fresh network
                fits --steps minibatches (default 2) of seeded noise images of 32 x 32, two views each,
                augmentation and assembly included; ms per step is the last step's (the first also sets
                up ND4J's workspaces). During each size a daemon thread samples every 200 ms the heap in
                use (limit: PRETEXT_HEAP), JavaCPP's physicalBytes (the process's resident memory, heap
                included; limit: maxphysicalbytes, PRETEXT_OFFHEAP_PHYS) and totalBytes (the off-heap
                memory JavaCPP tracks; limit: maxbytes, PRETEXT_OFFHEAP). It stops at the first size
                that runs out of memory and names the limit hit: the heap, maxbytes, maxphysicalbytes,
                or the system (DL4J's memory report of that fit goes beside the JSON). A size whose
                resident memory, extrapolated from the size before it, would need more than the
                machine has available (MemAvailable) is not tried, so that a shared machine is not
                driven into the kernel's OOM killer. Between sizes the network, its workspaces and the
                minibatches are freed.
                Results: JSON to FILE (default bench-out/memory-<time>.json) and a table on stdout.
                """)
final class MemoryBench extends PretextCommand {
    /** Memory left to the rest of the machine when deciding whether a size may be tried. */
    static final long MARGIN_BYTES = 1L << 30;

    @Option(names = "--batch-sizes", paramLabel = "B,B,...", defaultValue = "64,128,256,512,1024",
            description = "Source images per minibatch, tried in increasing order. Default: ${DEFAULT-VALUE}.")
    String batchSizes;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2", description = "Minibatches per size. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--backbone", paramLabel = "B", defaultValue = "resnet18-cifar", description = "Default: ${DEFAULT-VALUE}.")
    String backbone;

    @Option(names = "--width", paramLabel = "W", defaultValue = "1.0", description = "Default: ${DEFAULT-VALUE}.")
    String width;

    @Option(names = "--out", paramLabel = "FILE", description = "The JSON (default: bench-out/memory-<time>.json).")
    String outFile;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        List<Integer> sizes = batchSizes(batchSizes);
        if (steps < 1) {
            throw new UserError("bench memory: need --steps >= 1");
        }
        List<String> sets = new ArrayList<>(List.of("model.backbone=" + backbone, "model.width=" + width,
                "train.batch-size=" + sizes.get(0)));
        sets.addAll(config.sets);
        PretextConfig cfg = ConfigLoader.load(config.files(), sets);
        PretextMethod method = cfg.method();
        AugmentSpec aug = PretrainStage.augmentSpec(cfg, 32);
        int[] input = method.inputSize(aug, 32, 32);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path out = Path.of(outFile != null ? outFile : "bench-out/memory-" + stamp + ".json").toAbsolutePath();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("when", stamp);
        result.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version"));
        result.put("acceleration", CpuAcceleration.enable().describe());
        result.put("method", cfg.methodName);
        result.put("views", method.rowsPerImage(aug));
        result.put("backbone", cfg.backbone);
        result.put("width", cfg.width);
        result.put("steps", steps);
        result.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
        result.put("javacpp_max_bytes", Pointer.maxBytes());
        result.put("javacpp_max_physical_bytes", Pointer.maxPhysicalBytes());
        MemoryPeaks.memAvailableBytes().ifPresent(b -> result.put("machine_available_bytes_at_start", b));
        List<Map<String, Object>> rows = new ArrayList<>();
        result.put("sizes", rows);
        // DL4J writes a memory report (per layer) when a fit runs out of memory: beside the JSON, not
        // in the working directory
        Files.createDirectories(out.getParent());
        CrashReportingUtil.crashDumpOutputDirectory(out.getParent().toFile());

        boolean failedOtherwise = false;
        long grown = -1;   // resident memory the previous size added, and its batch size
        int grownAt = 0;
        for (int b : sizes) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("batch_size", b);
            rows.add(row);
            long before = Pointer.physicalBytes();
            row.put("resident_before_bytes", before);
            OptionalLong available = MemoryPeaks.memAvailableBytes();
            if (grown > 0 && available.isPresent()) {
                long predicted = (long) ((double) grown * b / grownAt);
                row.put("predicted_growth_bytes", predicted);
                if (predicted > available.getAsLong() - MARGIN_BYTES) {
                    row.put("status", "not tried");
                    row.put("reason", "would add about " + MemoryPeaks.size(predicted) + " of resident memory (the size"
                            + " before added " + MemoryPeaks.size(grown) + " at batch " + grownAt + "); the machine has "
                            + MemoryPeaks.size(available.getAsLong()) + " available");
                    System.err.println("bench memory: batch " + b + " not tried: " + row.get("reason"));
                    break;
                }
            }
            System.err.printf(Locale.ROOT, "bench memory: batch %d: %d step(s)...%n", b, steps);
            MemoryPeaks peaks = MemoryPeaks.start();
            ComputationGraph net = null;
            SingleNetworkSteps.Assembled minibatches = null;
            boolean stop = false;
            try {
                minibatches = SingleNetworkSteps.assemble(SingleNetworkSteps.noiseBatches(steps, b), 0, cfg, method, aug);
                net = PretrainStage.buildNet(cfg, method, input[0], input[1], 1000, 0);
                double[] ms = new double[steps];
                for (int s = 0; s < steps; s++) {
                    ms[s] = SingleNetworkSteps.fit(net, minibatches.minibatches(), s, s + 1) / 1e6;
                }
                row.put("status", "ok");
                row.put("step_ms", ms);
                row.put("ms_per_step", ms[steps - 1]);
                row.put("source_images_per_s", b / (ms[steps - 1] / 1000));
            } catch (Exception | Error e) {
                Optional<Failures.Limit> limit = Failures.limit(e);
                row.put("status", limit.isPresent() ? "out of memory" : "failed");
                limit.ifPresent(l -> {
                    row.put("limit", l.label());
                    row.put("setting", l.setting());
                    row.put("remedy", l.remedy());
                });
                row.put("error", Failures.describe(e));
                failedOtherwise = limit.isEmpty();
                stop = true;
            } finally {
                MemoryPeaks.Peaks p = peaks.stop();
                row.put("memory", p.toMap());
                if (net != null) {
                    try {
                        net.clear();
                        net.close();
                    } catch (RuntimeException e) {
                        // a network whose arrays an out-of-memory left half-made: the GC below frees it
                    }
                }
                net = null;
                minibatches = null;
                free();
                if (!stop) {
                    grown = Math.max(1, p.physicalBytes() - before);
                    grownAt = b;
                }
            }
            System.err.printf(Locale.ROOT, "bench memory: batch %d: %s%n", b,
                    row.get("error") != null ? row.get("error") : row.get("status"));
            if (stop) {
                break;
            }
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println(table(result));
        System.out.println("json: " + out);
        return failedOtherwise ? 1 : 0;
    }

    /** Drops what a size left: the thread's workspaces, and (through GC) the arrays nothing holds. */
    private static void free() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        System.gc();
        Nd4j.getMemoryManager().invokeGc();
    }

    /** "64,128,256": the sizes, increasing, each at least 2 (a contrastive loss needs a pair). */
    static List<Integer> batchSizes(String text) {
        List<Integer> sizes = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                int b = Integer.parseInt(p);
                if (b < 2) {
                    throw new NumberFormatException();
                }
                sizes.add(b);
            } catch (NumberFormatException e) {
                throw new UserError("bench memory: --batch-sizes takes whole numbers >= 2 separated by commas; got '"
                        + p + "' in '" + text + "'");
            }
        }
        if (sizes.isEmpty()) {
            throw new UserError("bench memory: --batch-sizes names no size");
        }
        return sizes.stream().distinct().sorted().toList();
    }

    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%s, %s views of 32 x 32 per image, %s width %s, one network outside Spark,"
                        + " %s step(s) per size; %s%n", r.get("method"), r.get("views"), r.get("backbone"), r.get("width"),
                r.get("steps"), r.get("machine")));
        sb.append(String.format(Locale.ROOT, "limits: heap %s (PRETEXT_HEAP), JavaCPP maxbytes %s (PRETEXT_OFFHEAP),"
                        + " maxphysicalbytes %s (PRETEXT_OFFHEAP_PHYS); machine memory available at the start: %s%n%n",
                MemoryPeaks.size(r.get("heap_max_bytes")), MemoryPeaks.size(r.get("javacpp_max_bytes")),
                MemoryPeaks.size(r.get("javacpp_max_physical_bytes")),
                r.get("machine_available_bytes_at_start") == null ? "unknown"
                        : MemoryPeaks.size(r.get("machine_available_bytes_at_start"))));
        sb.append("| batch size | ms per step | source images/s | heap peak | resident peak (physicalBytes) |"
                + " JavaCPP totalBytes peak | result |\n|---|---|---|---|---|---|---|\n");
        String remedy = null;
        for (Map<String, Object> row : (List<Map<String, Object>>) r.get("sizes")) {
            Map<String, Object> m = row.get("memory") instanceof Map<?, ?> mm ? (Map<String, Object>) mm : Map.of();
            String status = String.valueOf(row.get("status"));
            String result = switch (status) {
                case "out of memory" -> "out of memory: " + row.get("limit") + " (" + row.get("setting") + ")";
                case "not tried" -> "not tried: more than the machine has available";
                case "failed" -> "failed: " + row.get("error");
                default -> status;
            };
            if (row.get("remedy") != null) {
                remedy = "batch " + row.get("batch_size") + ": " + row.get("error");
            } else if (status.equals("not tried")) {
                remedy = "batch " + row.get("batch_size") + " not tried: " + row.get("reason");
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", row.get("batch_size"),
                    row.get("ms_per_step") instanceof Number n ? String.format(Locale.ROOT, "%.0f", n.doubleValue()) : "",
                    row.get("source_images_per_s") instanceof Number n ? String.format(Locale.ROOT, "%.1f", n.doubleValue()) : "",
                    MemoryPeaks.size(m.get("heap_used_peak_bytes")), MemoryPeaks.size(m.get("javacpp_physical_bytes_peak")),
                    MemoryPeaks.size(m.get("javacpp_total_bytes_peak")), result));
        }
        if (remedy != null) {
            sb.append('\n').append(remedy).append('\n');
        }
        return sb.toString();
    }
}
