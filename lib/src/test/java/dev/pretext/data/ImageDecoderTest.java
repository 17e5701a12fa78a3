package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import dev.pretext.UserError;
import dev.pretext.data.ImageDecoder.Failure;
import dev.pretext.data.ImageDecoder.Result;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder();

    private DecodedImage ok(byte[] data, String name) {
        Result r = decoder.decode(data, name);
        assertTrue(r.isOk(), () -> "expected success, got " + r);
        return r.image();
    }

    private static double meanAbsError(DecodedImage img, ImageFiles.Pixels expected) {
        long sum = 0;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int e = expected.rgb(x, y);
                for (int c = 0; c < 3; c++) {
                    sum += Math.abs(img.pixel(y, x, c) - ((e >> (16 - 8 * c)) & 0xff));
                }
            }
        }
        return sum / (3.0 * img.height() * img.width());
    }

    @Test
    void rgbJpegDecodesToItsSizeAndCloseToTheSource() throws Exception {
        ImageFiles.Pixels p = (x, y) -> ImageFiles.gradient(x, y, 64, 48);
        DecodedImage img = ok(ImageFiles.jpeg(ImageFiles.rgbImage(64, 48, p), 95), "a.jpg");
        assertEquals(48, img.height());
        assertEquals(64, img.width());
        assertTrue(meanAbsError(img, p) < 2.5, "mean error " + meanAbsError(img, p));
    }

    @Test
    void rgbPngIsExact() throws Exception {
        Random rnd = new Random(7);
        int[] px = new int[37 * 23];
        for (int i = 0; i < px.length; i++) {
            px[i] = rnd.nextInt(1 << 24);
        }
        ImageFiles.Pixels p = (x, y) -> px[y * 37 + x];
        DecodedImage img = ok(ImageFiles.png(ImageFiles.rgbImage(37, 23, p)), "a.png");
        assertEquals(23, img.height());
        assertEquals(37, img.width());
        assertEquals(0.0, meanAbsError(img, p));
    }

    @Test
    void formatComesFromContentNotName() throws Exception {
        byte[] png = ImageFiles.png(ImageFiles.rgbImage(5, 4, (x, y) -> 0x102030));
        DecodedImage img = ok(png, "actually-a-png.JPEG");
        assertEquals(0x10, img.pixel(3, 4, 0));
        assertEquals(0x30, img.pixel(3, 4, 2));
    }

    @Test
    void gifAndBmpAreReadToo() throws Exception {
        ImageFiles.Pixels p = (x, y) -> (x + y) % 2 == 0 ? 0x336699 : 0xffcc00;
        for (String format : new String[] {"gif", "bmp"}) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            assertTrue(ImageIO.write(ImageFiles.rgbImage(9, 6, p), format, out), format);
            DecodedImage img = ok(out.toByteArray(), "x." + format);
            assertEquals(6, img.height());
            assertEquals(0.0, meanAbsError(img, p), format);
        }
    }

    @Test
    void gray8PngIsReplicatedWithoutAGammaShift() throws Exception {
        ImageFiles.Pixels v = (x, y) -> (x * 16 + y) & 0xff;
        byte[] png = ImageFiles.grayPng8(16, 16, v);
        DecodedImage img = ok(png, "g.png");
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(v.rgb(x, y), img.pixel(y, x, c), "pixel " + x + "," + y + " channel " + c);
                }
            }
        }
        // The trap the decoder avoids: getRGB lifts gray 128 (x = 8, y = 0) well above 128.
        int viaGetRgb = ImageIO.read(new ByteArrayInputStream(png)).getRGB(8, 0) & 0xff;
        assertNotEquals(128, viaGetRgb);
        assertEquals(128, img.pixel(0, 8, 0));
    }

    @Test
    void gray16PngRoundsToNearest8BitValue() throws Exception {
        int[] values = {0, 65535, 128, 129, 32896, 32767, 32768, 257 * 200 + 128, 257 * 200 + 129, 1000};
        byte[] png = ImageFiles.grayPng16(values.length, 1, (x, y) -> values[x]);
        DecodedImage img = ok(png, "g16.png");
        for (int x = 0; x < values.length; x++) {
            int expected = (int) Math.round(values[x] / 257.0);
            for (int c = 0; c < 3; c++) {
                assertEquals(expected, img.pixel(0, x, c), "value " + values[x]);
            }
        }
    }

    @Test
    void rgb16PngRoundsEachChannel() throws Exception {
        int[][] v = {{0, 65535, 32768}, {1000, 20000, 50000}, {129, 128, 65407}};
        byte[] png = ImageFiles.rgbPng16(3, 1, (x, y, b) -> v[x][b]);
        DecodedImage img = ok(png, "rgb16.png");
        for (int x = 0; x < 3; x++) {
            for (int c = 0; c < 3; c++) {
                assertEquals((int) Math.round(v[x][c] / 257.0), img.pixel(0, x, c), "pixel " + x + " channel " + c);
            }
        }
    }

    @Test
    void palettePngGivesThePaletteColours() throws Exception {
        int[] palette = {0xff0000, 0x00ff00, 0x0000ff, 0x123456, 0x808080};
        ImageFiles.Pixels index = (x, y) -> (x + 2 * y) % palette.length;
        DecodedImage img = ok(ImageFiles.palettePng(7, 5, palette, index), "pal.png");
        assertEquals(0.0, meanAbsError(img, (x, y) -> palette[index.rgb(x, y)]));
    }

    @Test
    void alphaIsDroppedKeepingTheStoredColour() throws Exception {
        ImageFiles.Pixels colour = (x, y) -> 0x204060 + x;
        ImageFiles.Pixels alpha = (x, y) -> x == 0 ? 0 : x == 1 ? 128 : 255;
        DecodedImage img = ok(ImageFiles.rgbaPng(3, 2, colour, alpha), "rgba.png");
        assertEquals(0.0, meanAbsError(img, colour));
    }

    @Test
    void grayJpegIsReplicated() throws Exception {
        ImageFiles.Pixels v = (x, y) -> x * 8;
        DecodedImage img = ok(ImageFiles.grayJpeg(32, 8, v), "g.jpg");
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 32; x++) {
                assertEquals(img.pixel(y, x, 0), img.pixel(y, x, 1));
                assertEquals(img.pixel(y, x, 0), img.pixel(y, x, 2));
                assertTrue(Math.abs(img.pixel(y, x, 0) - x * 8) <= 4, "pixel " + x + "," + y);
            }
        }
    }

    /** Four 16x16 blocks of ink (0xCCMMYYKK) and the RGB each should come out as. */
    private static final int[] INK = {0x00ffff00, 0x00000080, 0xff000000, 0x00000000};
    private static final int[] INK_RGB = {0xff0000, 0x7f7f7f, 0x00ffff, 0xffffff};

    private void checkFourComponent(ImageFiles.FourComponent kind) throws Exception {
        byte[] jpeg = ImageFiles.fourComponentJpeg(32, 32, kind, (x, y) -> INK[(y / 16) * 2 + x / 16]);
        DecodedImage img = ok(jpeg, kind + ".jpg");
        assertEquals(32, img.height());
        assertEquals(32, img.width());
        for (int b = 0; b < 4; b++) {
            int y = (b / 2) * 16 + 8, x = (b % 2) * 16 + 8;
            for (int c = 0; c < 3; c++) {
                int expected = (INK_RGB[b] >> (16 - 8 * c)) & 0xff;
                assertTrue(Math.abs(img.pixel(y, x, c) - expected) <= 6,
                        kind + " block " + b + " channel " + c + ": " + img.pixel(y, x, c) + " vs " + expected);
            }
        }
    }

    @Test
    void plainCmykJpeg() throws Exception {
        checkFourComponent(ImageFiles.FourComponent.PLAIN_CMYK);
    }

    @Test
    void adobeInvertedCmykJpeg() throws Exception {
        checkFourComponent(ImageFiles.FourComponent.ADOBE_CMYK);
    }

    @Test
    void adobeYcckJpeg() throws Exception {
        checkFourComponent(ImageFiles.FourComponent.ADOBE_YCCK);
    }

    @Test
    void exifOrientationDoesNotRotate() throws Exception {
        ImageFiles.Pixels p = (x, y) -> ImageFiles.gradient(x, y, 40, 24);
        byte[] plain = ImageFiles.jpeg(ImageFiles.rgbImage(40, 24, p), 95);
        // APP1 Exif with IFD0 Orientation = 6 ("rotate 90 CW to display"), little-endian TIFF.
        byte[] exif = {(byte) 0xff, (byte) 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
            'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
        byte[] withExif = new byte[plain.length + exif.length];
        System.arraycopy(plain, 0, withExif, 0, 2);
        System.arraycopy(exif, 0, withExif, 2, exif.length);
        System.arraycopy(plain, 2, withExif, 2 + exif.length, plain.length - 2);
        DecodedImage rotatedTag = ok(withExif, "exif.jpg");
        assertEquals(24, rotatedTag.height());
        assertEquals(40, rotatedTag.width());
        assertEquals(ok(plain, "plain.jpg"), rotatedTag);
    }

    @Test
    void zeroByteFile() {
        Result r = decoder.decode(new byte[0], "empty.jpg");
        assertFalse(r.isOk());
        assertEquals(Failure.EMPTY, r.failure());
        assertTrue(r.reason().contains("0 bytes"), r.reason());
    }

    @Test
    void textNamedJpg() {
        Result r = decoder.decode("hello, I am not a picture\n".getBytes(StandardCharsets.US_ASCII), "notes.jpg");
        assertEquals(Failure.NOT_AN_IMAGE, r.failure());
        assertTrue(r.reason().contains("'hello, I'"), r.reason());
        assertTrue(r.reason().contains("JPEG, PNG"), r.reason());
        UserError e = assertThrows(UserError.class, r::orThrow);
        assertTrue(e.getMessage().startsWith("image 'notes.jpg': not an image"), e.getMessage());
    }

    private static byte[] noisyJpeg() throws Exception {
        Random rnd = new Random(3);
        return ImageFiles.jpeg(ImageFiles.rgbImage(128, 96, (x, y) -> rnd.nextInt(1 << 24)), 90);
    }

    @Test
    void truncatedJpegIsCorruptNotAPartialImage() throws Exception {
        byte[] jpeg = noisyJpeg();
        assertTrue(decoder.decode(jpeg, "whole.jpg").isOk());
        byte[] half = java.util.Arrays.copyOf(jpeg, jpeg.length / 2);
        // Plain ImageIO returns a half-grey image here and only warns; the decoder must refuse it.
        assertTrue(ImageIO.read(new ByteArrayInputStream(half)) != null);
        Result r = decoder.decode(half, "half.jpg");
        assertEquals(Failure.CORRUPT, r.failure(), r::toString);
        assertTrue(r.reason().contains("JPEG"), r.reason());
        String why = r.reason().toLowerCase();
        assertTrue(why.contains("premature end") || why.contains("truncated file"), r.reason());
    }

    @Test
    void truncatedPngIsCorrupt() throws Exception {
        Random rnd = new Random(4);
        byte[] png = ImageFiles.png(ImageFiles.rgbImage(64, 64, (x, y) -> rnd.nextInt(1 << 24)));
        Result r = decoder.decode(java.util.Arrays.copyOf(png, png.length / 2), "half.png");
        assertEquals(Failure.CORRUPT, r.failure(), r::toString);
        assertTrue(r.reason().contains("PNG"), r.reason());
    }

    @Test
    void overThePixelLimitIsRefused() throws Exception {
        byte[] png = ImageFiles.png(ImageFiles.rgbImage(100, 80, (x, y) -> 0));
        Result r = new ImageDecoder(7999).decode(png, "big.png");
        assertEquals(Failure.TOO_LARGE, r.failure());
        assertTrue(r.reason().contains("100x80") && r.reason().contains("8000") && r.reason().contains("7999"),
                r.reason());
        assertTrue(new ImageDecoder(8000).decode(png, "big.png").isOk());
    }

    @Test
    void pixelLimitIsCheckedFromTheHeaderAlone() throws Exception {
        // A PNG that claims 60000 x 60000 (3.6 G pixels, 10 GB of RGB): decoding would run out of memory.
        byte[] png = ImageFiles.png(ImageFiles.rgbImage(4, 4, (x, y) -> 0));
        setPngSize(png, 60000, 60000);
        Result r = decoder.decode(png, "bomb.png");
        assertEquals(Failure.TOO_LARGE, r.failure(), r::toString);
        assertTrue(r.reason().contains("60000x60000"), r.reason());
    }

    private static void setPngSize(byte[] png, int w, int h) {
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows the 13 data bytes.
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png);
        b.putInt(16, w);
        b.putInt(20, h);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
    }

    @Test
    void decodesFromAStream() throws Exception {
        byte[] png = ImageFiles.png(ImageFiles.rgbImage(3, 2, (x, y) -> 0xabcdef));
        Result r = decoder.decode(new ByteArrayInputStream(png), "s.png");
        assertEquals(0xab, r.image().pixel(1, 2, 0));
        assertEquals("s.png", r.name());
    }

    @Test
    void oneDecoderServesManyThreads() throws Exception {
        List<byte[]> files = List.of(noisyJpeg(), ImageFiles.grayPng16(20, 20, (x, y) -> x * 3000 + y),
                ImageFiles.fourComponentJpeg(16, 16, ImageFiles.FourComponent.ADOBE_YCCK, (x, y) -> 0x10203040));
        List<DecodedImage> expected = new ArrayList<>();
        for (byte[] f : files) {
            expected.add(ok(f, "f"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> same = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                same.add(pool.submit(() -> {
                    for (int k = 0; k < 10; k++) {
                        for (int i = 0; i < files.size(); i++) {
                            if (!expected.get(i).equals(decoder.decode(files.get(i), "f").image())) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : same) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void eightBitConversionMatchesRoundedDivision() {
        for (int v = 0; v <= 65535; v++) {
            assertEquals((int) Math.round(v / 257.0), ImageDecoder.to8Bit(v, 16), "v " + v);
        }
        assertEquals(255, ImageDecoder.to8Bit(15, 4));
        assertEquals(136, ImageDecoder.to8Bit(8, 4));
        assertArrayEquals(new int[] {0, 128, 255},
                new int[] {ImageDecoder.to8Bit(0, 8), ImageDecoder.to8Bit(128, 8), ImageDecoder.to8Bit(255, 8)});
    }
}
