package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import dev.pretext.UserError;

class ImageEncoderTest {

    private static DecodedImage random(int h, int w, long seed) {
        byte[] rgb = new byte[h * w * 3];
        new Random(seed).nextBytes(rgb);
        return new DecodedImage(h, w, rgb);
    }

    private static DecodedImage gradient(int h, int w) {
        byte[] rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = ImageFiles.gradient(x, y, w, h), o = (y * w + x) * 3;
                rgb[o] = (byte) (p >> 16);
                rgb[o + 1] = (byte) (p >> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return new DecodedImage(h, w, rgb);
    }

    @Test
    void pngIsExactlyLossless() throws Exception {
        DecodedImage img = random(17, 31, 5);
        byte[] png = ImageEncoder.png().encode(img);
        assertEquals(img, new ImageDecoder().decode(png, "x.png").image());
        BufferedImage viaImageIo = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(31, viaImageIo.getWidth());
        assertEquals(17, viaImageIo.getHeight());
        // The images table's own decoding path reads it back to the same pixels.
        ImageRecord row = new ImageRecord("t/0", "train", 1, -1, 17, 31, 3, ImageRecord.PNG, png, "x.png");
        assertArrayEquals(img.rgb(), row.toRaw().data());
    }

    @Test
    void jpegDecodesToTheSameSizeAndCloseToTheSource() throws Exception {
        DecodedImage img = gradient(48, 80);
        byte[] jpeg = ImageEncoder.jpeg(90).encode(img);
        DecodedImage back = new ImageDecoder().decode(jpeg, "x.jpg").image();
        assertEquals(48, back.height());
        assertEquals(80, back.width());
        long err = 0;
        for (int i = 0; i < img.rgb().length; i++) {
            err += Math.abs((img.rgb()[i] & 0xff) - (back.rgb()[i] & 0xff));
        }
        assertTrue(err / (double) img.rgb().length < 2.0, "mean error " + err / (double) img.rgb().length);
        BufferedImage viaImageIo = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertNotNull(viaImageIo);
        assertEquals(80, viaImageIo.getWidth());
        ImageRecord row = new ImageRecord("t/0", "train", 1, -1, 48, 80, 3, ImageRecord.JPEG, jpeg, "x.jpg");
        assertEquals(48 * 80 * 3, row.toRaw().data().length);
    }

    @Test
    void jpegIsBaselineWithoutExifAndQualityMatters() {
        DecodedImage img = random(64, 64, 9);
        byte[] q95 = ImageEncoder.jpeg(95).encode(img);
        byte[] q20 = ImageEncoder.jpeg(20).encode(img);
        assertTrue(q20.length < q95.length / 2, q20.length + " vs " + q95.length);
        List<Integer> markers = markers(q95);
        assertTrue(markers.contains(0xc0), "baseline SOF0 expected: " + markers);
        assertFalse(markers.contains(0xc2), "not progressive");
        assertFalse(markers.contains(0xe1), "no APP1/EXIF");
        assertFalse(markers.contains(0xe2), "no APP2/ICC");
        assertArrayEquals(q95, ImageEncoder.jpeg(95).encode(img), "deterministic");
    }

    /** JPEG marker codes from SOI up to the first scan. */
    private static List<Integer> markers(byte[] d) {
        List<Integer> out = new ArrayList<>();
        int i = 2;
        while (i + 4 <= d.length && (d[i] & 0xff) == 0xff) {
            int m = d[i + 1] & 0xff;
            out.add(m);
            if (m == 0xda) {
                break;
            }
            i += 2 + (((d[i + 2] & 0xff) << 8) | (d[i + 3] & 0xff));
        }
        return out;
    }

    @Test
    void parseAndToString() {
        assertEquals("png", ImageEncoder.parse("png").toString());
        assertEquals("jpeg:90", ImageEncoder.parse("jpeg").toString());
        assertEquals(90, ImageEncoder.parse("JPEG").quality());
        assertEquals("jpeg:75", ImageEncoder.parse(" jpeg:75 ").toString());
        assertEquals(ImageEncoder.jpeg(10), ImageEncoder.parse("jpg:10"));
        assertEquals(ImageRecord.JPEG, ImageEncoder.of("jpeg", 50).encoding());
        assertEquals(ImageRecord.PNG, ImageEncoder.of("png", 0).encoding());
        for (String s : new String[] {"png", "jpeg:1", "jpeg:100"}) {
            assertEquals(ImageEncoder.parse(s), ImageEncoder.parse(ImageEncoder.parse(s).toString()));
        }
    }

    @Test
    void badEncodingOrQualityIsAUserError() {
        for (String s : new String[] {"gif", "", "jpeg:0", "jpeg:101", "jpeg:x", "png:5", "raw"}) {
            UserError e = assertThrows(UserError.class, () -> ImageEncoder.parse(s), s);
            assertTrue(e.getMessage().contains("1 to 100"), e.getMessage());
        }
        assertThrows(UserError.class, () -> ImageEncoder.of("jpeg", 0));
        assertThrows(UserError.class, () -> ImageEncoder.of("webp", 90));
        assertThrows(UserError.class, () -> ImageEncoder.jpeg(101));
    }

    @Test
    void serializable() throws Exception {
        ImageEncoder enc = ImageEncoder.jpeg(77);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(enc);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(enc, in.readObject());
        }
    }
}
