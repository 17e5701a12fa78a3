package dev.pretext.data.imagefolder;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** Small JPEG and PNG files with a known colour, written with ImageIO in the test. */
final class TestImageFiles {
    private TestImageFiles() {
    }

    /** A w x h image: colour (r, g, b) with a diagonal gradient so that files differ. */
    static BufferedImage image(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int d = (x + y) % 16;
                img.setRGB(x, y, (Math.min(255, r + d) << 16) | (Math.min(255, g + d) << 8) | Math.min(255, b + d));
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
