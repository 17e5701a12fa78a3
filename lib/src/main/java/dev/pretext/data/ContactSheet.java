package dev.pretext.data;

import dev.pretext.UserError;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A grid of raw (uint8 HWC RGB) images as one PNG, so a person can look at a table: each tile is
 * an image scaled by an integer factor (nearest neighbour, so pixels stay visible), with a
 * one-pixel gap between tiles.
 */
public final class ContactSheet {
    private ContactSheet() {
    }

    /** One tile: raw HWC RGB pixels of {@code height} x {@code width}. */
    public record Tile(int height, int width, byte[] hwc) {
    }

    /**
     * Renders {@code tiles} in rows of {@code columns}; every tile is drawn in a cell of the largest
     * tile's size times {@code scale}.
     */
    public static BufferedImage render(List<Tile> tiles, int columns, int scale) {
        if (tiles.isEmpty()) {
            throw new UserError("contact sheet: no images to draw");
        }
        if (columns < 1 || scale < 1) {
            throw new IllegalArgumentException("columns and scale must be >= 1");
        }
        int cellH = tiles.stream().mapToInt(Tile::height).max().orElse(1) * scale;
        int cellW = tiles.stream().mapToInt(Tile::width).max().orElse(1) * scale;
        int cols = Math.min(columns, tiles.size());
        int rows = (tiles.size() + cols - 1) / cols;
        BufferedImage sheet = new BufferedImage(cols * (cellW + 1) + 1, rows * (cellH + 1) + 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.dispose();
        for (int i = 0; i < tiles.size(); i++) {
            Tile t = tiles.get(i);
            if (t.hwc().length != t.height() * t.width() * 3) {
                throw new UserError("contact sheet: tile " + i + " has " + t.hwc().length + " bytes, expected "
                        + t.height() + "x" + t.width() + "x3");
            }
            int x0 = 1 + (i % cols) * (cellW + 1);
            int y0 = 1 + (i / cols) * (cellH + 1);
            for (int y = 0; y < t.height() * scale; y++) {
                for (int x = 0; x < t.width() * scale; x++) {
                    int p = ((y / scale) * t.width() + (x / scale)) * 3;
                    int rgb = (t.hwc()[p] & 0xff) << 16 | (t.hwc()[p + 1] & 0xff) << 8 | (t.hwc()[p + 2] & 0xff);
                    sheet.setRGB(x0 + x, y0 + y, rgb);
                }
            }
        }
        return sheet;
    }

    /** Writes the sheet as PNG, atomically (temporary file, then rename). */
    public static void writePng(BufferedImage sheet, Path out) {
        Path tmp = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".tmp");
        try {
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            if (!ImageIO.write(sheet, "png", tmp.toFile())) {
                throw new IllegalStateException("no PNG writer in this JVM");
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write error below is the one that matters
            }
            throw new UncheckedIOException("cannot write contact sheet " + out, e);
        }
    }
}
