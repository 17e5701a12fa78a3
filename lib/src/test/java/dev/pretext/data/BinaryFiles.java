package dev.pretext.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-built dataset files for reader tests, written byte by byte in the official layouts. */
final class BinaryFiles {
    private BinaryFiles() {
    }

    /** CIFAR pixel value of plane c at (y, x) for image k: distinct per plane and per position. */
    static int cifarValue(int k, int c, int y, int x) {
        return switch (c) {
            case 0 -> x * 8;           // R encodes the column
            case 1 -> y * 8;           // G encodes the row
            default -> (k * 37 + 1) & 0xff; // B encodes the image
        };
    }

    /** One CIFAR record: label bytes then R plane, G plane, B plane (each 32x32 row-major). */
    static byte[] cifarRecord(int k, int... labels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int l : labels) {
            out.write(l);
        }
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    out.write(cifarValue(k, c, y, x));
                }
            }
        }
        return out.toByteArray();
    }

    /** STL pixel value of channel c at row y, column x for image k. */
    static int stlValue(int k, int c, int y, int x) {
        return switch (c) {
            case 0 -> x;                  // R encodes the column
            case 1 -> y + 100;            // G encodes the row
            default -> (k * 11 + x + 2 * y) & 0xff;
        };
    }

    /** One STL-10 image: planes R, G, B, each column-major (byte x*96 + y holds row y, column x). */
    static byte[] stlImage(int k) {
        byte[] b = new byte[3 * 96 * 96];
        for (int c = 0; c < 3; c++) {
            for (int x = 0; x < 96; x++) {
                for (int y = 0; y < 96; y++) {
                    b[c * 9216 + x * 96 + y] = (byte) stlValue(k, c, y, x);
                }
            }
        }
        return b;
    }

    static void write(Path dir, String name, byte[]... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), out.toByteArray());
    }
}
