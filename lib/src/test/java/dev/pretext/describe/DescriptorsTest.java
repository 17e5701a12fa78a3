package dev.pretext.describe;

import com.typesafe.config.ConfigFactory;
import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptorsTest {

    @Test
    void createsEveryNamedDescriptorWithItsName() {
        for (String name : Descriptors.NAMES) {
            Descriptor d = Descriptors.create(name);
            assertEquals(name, d.name());
            assertEquals(name, d.parameters().get("name"));
        }
    }

    @Test
    void unknownNameListsTheValidOnes() {
        UserError e = assertThrows(UserError.class, () -> Descriptors.create("sift"));
        assertTrue(e.getMessage().contains("'sift'"), e.getMessage());
        assertTrue(e.getMessage().contains("image, augmented, hog, lsd, scattering"), e.getMessage());
    }

    @Test
    void overridesFromMapAndConfig() {
        Hog hog = (Hog) Descriptors.create("hog", Map.of("cell-size", 4, "bins", 6L, "clip", "0.3"));
        assertEquals(4, hog.parameters().get("cell-size"));
        assertEquals(6, hog.parameters().get("bins"));
        assertEquals(0.3, hog.parameters().get("clip"));
        Descriptor s = Descriptors.create("scattering", ConfigFactory.parseString("j = 1, l = 4"));
        assertEquals(1 + 4, ((Scattering) s).channelsPerInput());
        Descriptor a = Descriptors.create("augmented", Map.of("seed", 9, "spec", AugmentSpec.cifar()));
        assertEquals(9L, a.parameters().get("seed"));
        assertEquals(7, Descriptors.create("lsd", ConfigFactory.parseString("window = 7")).parameters().get("window"));
    }

    @Test
    void badOverridesNameTheDescriptorAndKey() {
        UserError unknown = assertThrows(UserError.class, () -> Descriptors.create("hog", Map.of("cells", 4)));
        assertTrue(unknown.getMessage().contains("'cells'") && unknown.getMessage().contains("cell-size"),
                unknown.getMessage());
        UserError type = assertThrows(UserError.class, () -> Descriptors.create("lsd", Map.of("window", 2.5)));
        assertTrue(type.getMessage().contains("'window'"), type.getMessage());
        assertThrows(UserError.class, () -> Descriptors.create("image", Map.of("x", 1)));
        assertThrows(UserError.class, () -> Descriptors.create("augmented", Map.of("spec", "simclr")));
    }

    @Test
    void parseListKeepsOrderAndRejectsMistakes() {
        List<Descriptor> ds = Descriptors.parseList(" hog, lsd ,scattering,image");
        assertEquals(List.of("hog", "lsd", "scattering", "image"), ds.stream().map(Descriptor::name).toList());
        List<Descriptor> withOverrides = Descriptors.parseList("image,hog", Map.of("hog", Map.of("cell-size", 4)));
        assertEquals(4, withOverrides.get(1).parameters().get("cell-size"));
        assertThrows(UserError.class, () -> Descriptors.parseList("hog,,lsd"));
        assertThrows(UserError.class, () -> Descriptors.parseList("hog,hog"));
        assertThrows(UserError.class, () -> Descriptors.parseList(""));
        assertThrows(UserError.class, () -> Descriptors.parseList("hog,sift"));
        assertThrows(UserError.class, () -> Descriptors.parseList("image", Map.of("hog", Map.of("bins", 3))));
    }

    @Test
    void pngRowsAreDecodedFirst() throws Exception {
        ImageRecord raw = DescribeImages.random("stl10/train/3", 20, 24, 6);
        java.awt.image.BufferedImage bi = new java.awt.image.BufferedImage(24, 20, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 24; x++) {
                bi.setRGB(x, y, (raw.pixel(y, x, 0) << 16) | (raw.pixel(y, x, 1) << 8) | raw.pixel(y, x, 2));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(bi, "png", png);
        ImageRecord encoded = new ImageRecord(raw.id(), raw.split(), raw.label(), raw.label2(), 20, 24, 3,
                ImageRecord.PNG, png.toByteArray(), raw.source());
        for (String name : List.of("image", "lsd", "hog")) {
            Descriptor d = Descriptors.create(name);
            assertArrayEquals(d.compute(raw), d.compute(encoded), name);
        }
    }

    /** The contract the describe job relies on: dimension() predicts compute(), through Java serialisation. */
    @Test
    void everyDescriptorHonoursItsDimensionAfterSerialisation() throws Exception {
        ImageRecord img = DescribeImages.random("r", 32, 24, 8);
        for (Descriptor d : Descriptors.parseList("image,augmented,hog,lsd,scattering")) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(d);
            }
            Descriptor copy;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                copy = (Descriptor) in.readObject();
            }
            float[] v = copy.compute(img);
            assertEquals(d.dimension(32, 24), v.length, d.name());
            assertArrayEquals(d.compute(img), v, d.name());
            for (float x : v) {
                assertTrue(Float.isFinite(x), d.name());
            }
            assertInstanceOf(Map.class, d.parameters());
        }
    }
}
