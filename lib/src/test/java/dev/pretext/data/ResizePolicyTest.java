package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.pretext.UserError;

class ResizePolicyTest {

    /** An image with pixel (y, x) channel c = f(y, x, c). */
    interface F {
        int at(int y, int x, int c);
    }

    static DecodedImage image(int h, int w, F f) {
        byte[] rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] = (byte) f.at(y, x, c);
                }
            }
        }
        return new DecodedImage(h, w, rgb);
    }

    @Test
    void parseAndToStringRoundTrip() {
        for (String s : new String[] {"keep", "shorter:224", "fixed:96", "shorter:1", "fixed:16384"}) {
            assertEquals(s, ResizePolicy.parse(s).toString());
            assertEquals(ResizePolicy.parse(s), ResizePolicy.parse(ResizePolicy.parse(s).toString()));
        }
        assertEquals("shorter:64", ResizePolicy.parse("  Shorter:64 ").toString());
        assertEquals(ResizePolicy.Mode.FIXED, ResizePolicy.parse("fixed:8").mode());
        assertEquals(8, ResizePolicy.parse("fixed:8").size());
        assertEquals(ResizePolicy.shorter(10), ResizePolicy.parse("shorter:10"));
    }

    @Test
    void badStringsAreUserErrorsListingTheValidForms() {
        for (String s : new String[] {"", "crop:5", "shorter", "shorter:", "shorter:0", "fixed:-3", "fixed:abc",
            "shorter:99999", "keep:5", "224", null}) {
            UserError e = assertThrows(UserError.class, () -> ResizePolicy.parse(s), "'" + s + "'");
            assertTrue(e.getMessage().contains("keep") && e.getMessage().contains("shorter:S")
                    && e.getMessage().contains("fixed:S"), e.getMessage());
            assertTrue(e.getMessage().contains("'" + s + "'"), e.getMessage());
        }
    }

    @Test
    void outputSizes() {
        DecodedImage landscape = image(40, 60, (y, x, c) -> x);
        DecodedImage portrait = image(100, 37, (y, x, c) -> y);
        for (DecodedImage img : new DecodedImage[] {landscape, portrait}) {
            DecodedImage s = ResizePolicy.parse("shorter:32").apply(img);
            assertEquals(32, s.height());
            assertEquals(32, s.width());
            DecodedImage f = ResizePolicy.parse("fixed:17").apply(img);
            assertEquals(17, f.height());
            assertEquals(17, f.width());
            DecodedImage up = ResizePolicy.parse("shorter:150").apply(img);
            assertEquals(150, up.height());
            assertEquals(150, up.width());
            assertSame(img, ResizePolicy.keep().apply(img));
        }
        assertArrayEquals(new int[] {40, 60}, ResizePolicy.keep().outputSize(40, 60));
        assertArrayEquals(new int[] {32, 32}, ResizePolicy.shorter(32).outputSize(40, 60));
    }

    @Test
    void aConstantImageStaysConstant() {
        DecodedImage img = image(37, 53, (y, x, c) -> 40 + 70 * c);
        for (String p : new String[] {"shorter:7", "shorter:20", "shorter:200", "fixed:5", "fixed:41", "fixed:97",
            "fixed:1"}) {
            DecodedImage out = ResizePolicy.parse(p).apply(img);
            for (int y = 0; y < out.height(); y++) {
                for (int x = 0; x < out.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(40 + 70 * c, out.pixel(y, x, c), p + " at " + y + "," + x);
                    }
                }
            }
        }
    }

    @Test
    void sameSizeIsAnExactCopy() {
        Random rnd = new Random(1);
        DecodedImage img = image(24, 24, (y, x, c) -> rnd.nextInt(256));
        assertEquals(img, ResizePolicy.parse("shorter:24").apply(img));
        assertEquals(img, ResizePolicy.parse("fixed:24").apply(img));
    }

    @Test
    void downscaleAveragesAreas() {
        // 2x2 blocks of 0, 10, 20, 30 (per block) halve to their means.
        DecodedImage img = image(4, 4, (y, x, c) -> ((y % 2) * 2 + x % 2) * 10 + (y / 2) * 100 + (x / 2) * 50);
        DecodedImage out = ResizePolicy.fixed(2).apply(img);
        assertEquals(15, out.pixel(0, 0, 0));
        assertEquals(65, out.pixel(0, 1, 1));
        assertEquals(115, out.pixel(1, 0, 2));
        assertEquals(165, out.pixel(1, 1, 0));
    }

    @Test
    void downscaleWeighsPartialPixelsByTheirCoverage() {
        // Width 3 to 2: output 0 covers source [0, 1.5), output 1 covers [1.5, 3).
        DecodedImage img = image(1, 3, (y, x, c) -> x * 90);
        DecodedImage out = ResizePolicy.fixed(2).apply(img);
        for (int y = 0; y < 2; y++) {
            assertEquals(30, out.pixel(y, 0, 0)); // (0 + 0.5 * 90) / 1.5
            assertEquals(150, out.pixel(y, 1, 0)); // (0.5 * 90 + 180) / 1.5
        }
    }

    @Test
    void aOnePixelCheckerboardAveragesToGreyInsteadOfAliasing() {
        DecodedImage img = image(64, 64, (y, x, c) -> (x + y) % 2 == 0 ? 0 : 255);
        DecodedImage out = ResizePolicy.fixed(32).apply(img);
        for (int i = 0; i < out.rgb().length; i++) {
            assertEquals(128, out.rgb()[i] & 0xff); // 127.5 rounds up
        }
    }

    @Test
    void upscaleIsBilinearWithAlignedCentres() {
        DecodedImage img = image(1, 2, (y, x, c) -> x * 100);
        DecodedImage out = ResizePolicy.fixed(4).apply(img);
        int[] expected = {0, 25, 75, 100};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(expected[x], out.pixel(y, x, 1), "at " + y + "," + x);
            }
        }
    }

    @Test
    void shorterCropsTheCentre() {
        // 40 x 80: columns 20..59 green, the rest red; the centre square after scaling is exactly the green part.
        DecodedImage img = image(40, 80, (y, x, c) -> (x >= 20 && x < 60) == (c == 1) ? 255 : 0);
        for (int s : new int[] {20, 40, 10}) {
            DecodedImage out = ResizePolicy.shorter(s).apply(img);
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    assertEquals(0, out.pixel(y, x, 0), "shorter:" + s + " at " + y + "," + x);
                    assertEquals(255, out.pixel(y, x, 1), "shorter:" + s + " at " + y + "," + x);
                }
            }
        }
        // Portrait: rows 30..69 of 100 are the centre band kept by shorter:20 of a 40-wide image.
        DecodedImage tall = image(100, 40, (y, x, c) -> c == 0 ? y : 0);
        DecodedImage out = ResizePolicy.shorter(20).apply(tall);
        assertEquals(30 + 0.5, out.pixel(0, 5, 0), 0.51);   // first output row averages rows 30, 31
        assertEquals(68 + 0.5, out.pixel(19, 5, 0), 0.51);  // last averages rows 68, 69
    }

    @Test
    void deterministicAndSerializable() throws Exception {
        Random rnd = new Random(2);
        DecodedImage img = image(50, 70, (y, x, c) -> rnd.nextInt(256));
        ResizePolicy p = ResizePolicy.parse("shorter:23");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        ResizePolicy back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ResizePolicy) in.readObject();
        }
        assertEquals(p, back);
        assertEquals(p.apply(img), back.apply(img));
    }
}
