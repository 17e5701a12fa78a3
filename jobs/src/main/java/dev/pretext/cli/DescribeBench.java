package dev.pretext.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import dev.pretext.describe.Scattering;
import dev.pretext.describe.ScatteringReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench describe}: the scattering descriptor's images/s, the current {@link Scattering}
 * against {@link ScatteringReference} (the implementation before issue 10 part 4), on the same
 * images in the same JVM, single-threaded, and the largest difference between their outputs.
 */
@Command(name = "describe",
        header = "scattering descriptor images/s, current against the pre-optimisation reference",
        description = """
                Scattering descriptor throughput (J = 2, L = 8) on one thread: N synthetic RGB images
                of S x S pixels (default 200 of 96 x 96, seeded noise: the cost does not depend on
                the pixels), each implementation warmed up on --warmup images (default 20, not timed),
                then R rounds (default 3) that each time the reference (the pre-optimisation
                ScatteringReference) and the current Scattering on all N images, alternately, so that
                other load on the machine hits both alike. Prints images/s of both, the speed-up, and
                the largest absolute difference between their outputs over all N images.
                Results: JSON to FILE (default bench-out/describe-<time>.json) and a table on stdout.
                """)
final class DescribeBench extends PretextCommand {
    @Option(names = "--images", paramLabel = "N", defaultValue = "200", description = "Images. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--size", paramLabel = "S", defaultValue = "96", description = "Their side. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "20", description = "Untimed images. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "3", description = "Timed rounds. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--out", paramLabel = "FILE", description = "The JSON (default: bench-out/describe-<time>.json).")
    String outFile;

    @Override
    public Integer call() throws Exception {
        if (n < 1 || size < 1 || size > 4096 || warmup < 0 || rounds < 1) {
            throw new UserError("bench describe: need --images >= 1, --size in [1, 4096], --warmup >= 0, --rounds >= 1");
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path out = Path.of(outFile != null ? outFile : "bench-out/describe-" + stamp + ".json").toAbsolutePath();
        Map<String, Object> r = measure(n, size, warmup, rounds);
        r.put("when", stamp);
        Files.createDirectories(out.getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), r);
        System.out.println(table(r));
        System.out.println("json: " + out);
        return 0;
    }

    /** The measurement itself (no files): images/s of both, their ratio and the largest difference. */
    static Map<String, Object> measure(int n, int size, int warmup, int rounds) {
        ImageRecord[] images = new ImageRecord[n];
        for (int i = 0; i < n; i++) {
            images[i] = SingleNetworkSteps.noise("bench-" + i, size, 1000L + i);
        }
        Scattering fast = new Scattering();
        ScatteringReference reference = new ScatteringReference();
        for (int i = 0; i < warmup; i++) {
            reference.compute(images[i % n]);
            fast.compute(images[i % n]);
        }
        double maxDiff = 0;
        for (ImageRecord img : images) {
            float[] want = reference.compute(img);
            float[] got = fast.compute(img);
            for (int k = 0; k < want.length; k++) {
                maxDiff = Math.max(maxDiff, Math.abs((double) want[k] - got[k]));
            }
        }
        long refNanos = 0;
        long fastNanos = 0;
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (ImageRecord img : images) {
                reference.compute(img);
            }
            long t1 = System.nanoTime();
            for (ImageRecord img : images) {
                fast.compute(img);
            }
            long t2 = System.nanoTime();
            refNanos += t1 - t0;
            fastNanos += t2 - t1;
            System.err.printf(Locale.ROOT, "bench describe: round %d: reference %.1f ms/image, current %.1f ms/image%n",
                    round + 1, (t1 - t0) / 1e6 / n, (t2 - t1) / 1e6 / n);
        }
        double refRate = (double) n * rounds / (refNanos / 1e9);
        double fastRate = (double) n * rounds / (fastNanos / 1e9);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version"));
        r.put("descriptor", fast.parameters());
        r.put("images", n);
        r.put("size", size);
        r.put("warmup", warmup);
        r.put("rounds", rounds);
        r.put("threads", 1);
        r.put("reference_images_per_s", refRate);
        r.put("current_images_per_s", fastRate);
        r.put("reference_ms_per_image", 1000.0 / refRate);
        r.put("current_ms_per_image", 1000.0 / fastRate);
        r.put("speedup", fastRate / refRate);
        r.put("max_abs_difference", maxDiff);
        return r;
    }

    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "scattering (J = 2, L = 8), %s images of %sx%s RGB, one thread, %s rounds, %s%n%n",
                r.get("images"), r.get("size"), r.get("size"), r.get("rounds"), r.get("machine")));
        sb.append("| implementation | images/s | ms per image |\n|---|---|---|\n");
        sb.append(String.format(Locale.ROOT, "| reference (before issue 10 part 4) | %.1f | %.1f |%n",
                r.get("reference_images_per_s"), r.get("reference_ms_per_image")));
        sb.append(String.format(Locale.ROOT, "| current | %.1f | %.1f |%n",
                r.get("current_images_per_s"), r.get("current_ms_per_image")));
        sb.append(String.format(Locale.ROOT, "| speed-up | %.2fx | |%n", r.get("speedup")));
        sb.append(String.format(Locale.ROOT, "%nlargest absolute difference between the outputs: %s (the tests require <= 1e-5)%n",
                r.get("max_abs_difference")));
        return sb.toString();
    }
}
