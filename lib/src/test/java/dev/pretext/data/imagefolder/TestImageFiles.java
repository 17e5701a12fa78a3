package dev.pretext.data.imagefolder;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** Small JPEG and PNG files with a known colour, written with ImageIO in the test. */
public final class TestImageFiles {
    private TestImageFiles() {
    }

    /** A w x h image: colour (r, g, b) with a diagonal gradient so that files differ. */
    public static BufferedImage image(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int d = (x + y) % 16;
                img.setRGB(x, y, (Math.min(255, r + d) << 16) | (Math.min(255, g + d) << 8) | Math.min(255, b + d));
            }
        }
        return img;
    }

    public static byte[] encode(BufferedImage img, String format) {
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

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tar of the given members, in order (names with '/'), written with commons-compress (GNU long names). */
    public static byte[] tar(java.util.Map<String, byte[]> members) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream out =
                         new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(buf)) {
                out.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_GNU);
                for (java.util.Map.Entry<String, byte[]> m : members.entrySet()) {
                    org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
                            new org.apache.commons.compress.archivers.tar.TarArchiveEntry(m.getKey());
                    e.setSize(m.getValue().length);
                    out.putArchiveEntry(e);
                    out.write(m.getValue());
                    out.closeArchiveEntry();
                }
            }
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
