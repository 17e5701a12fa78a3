package dev.pretext.synth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import dev.pretext.UserError;
import dev.pretext.data.DecodedImage;
import dev.pretext.data.ImageEncoder;

/**
 * Writes the procedural shapes as an ImageNet-style folder of JPEG files, {@code <split>/<shape>/<split>_<i>.JPEG},
 * for image-folder ingest tests, the quickstart of that path and the ingest benchmark. File i of a
 * split is a pure function of (seed, split, i), so a folder can be re-made exactly.
 */
public final class SynthImageFolderWriter {
    private final long seed;
    private final int size;
    private final ImageEncoder encoder;

    /** @param size side of the square images; @param encoder JPEG quality (or PNG) of the files */
    public SynthImageFolderWriter(long seed, int size, ImageEncoder encoder) {
        if (size < 8) {
            throw new UserError("synthetic image size must be >= 8, got " + size);
        }
        this.seed = seed;
        this.size = size;
        this.encoder = encoder;
    }

    /**
     * Writes {@code count} images of {@code split} under {@code root}, classes in turn, on
     * {@code threads} threads; returns the bytes written.
     */
    public long write(Path root, String split, int count, int threads) {
        SynthRenderer renderer = new SynthRenderer(size);
        String ext = "png".equals(encoder.encoding()) ? ".png" : ".JPEG";
        try {
            for (String shape : SynthRenderer.SHAPE_NAMES) {
                Files.createDirectories(root.resolve(split).resolve(shape));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root, e);
        }
        AtomicLong bytes = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<?>> jobs = new ArrayList<>();
            int per = Math.max(1, (count + threads - 1) / threads);
            for (int from = 0; from < count; from += per) {
                int a = from, b = Math.min(count, from + per);
                jobs.add(pool.submit(() -> {
                    for (int i = a; i < b; i++) {
                        int shape = i % SynthRenderer.SHAPES;
                        long s = seed * 1_000_003L + split.hashCode() * 31L + i;
                        byte[] file = encoder.encode(new DecodedImage(size, size, renderer.render(shape, s)));
                        Path p = root.resolve(split).resolve(SynthRenderer.SHAPE_NAMES.get(shape))
                                .resolve(String.format(Locale.ROOT, "%s_%08d%s", split, i, ext));
                        try {
                            Files.write(p, file);
                        } catch (IOException e) {
                            throw new UncheckedIOException("cannot write " + p, e);
                        }
                        bytes.addAndGet(file.length);
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        return bytes.get();
    }
}
