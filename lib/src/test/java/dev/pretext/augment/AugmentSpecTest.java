package dev.pretext.augment;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentSpecTest {

    @Test
    void simclrDefaultsMatchThePaper() {
        AugmentSpec s = AugmentSpec.cifar();
        assertEquals(0.2, s.cropScaleMin());
        assertEquals(1.0, s.cropScaleMax());
        assertEquals(0.75, s.cropRatioMin());
        assertEquals(4.0 / 3.0, s.cropRatioMax());
        assertEquals(0.5, s.flipP());
        assertEquals(0.8, s.jitterP());
        assertEquals(0.4, s.brightness());
        assertEquals(0.4, s.contrast());
        assertEquals(0.4, s.saturation());
        assertEquals(0.1, s.hue());
        assertEquals(0.2, s.grayscaleP());
        assertEquals(0.0, s.blurP(), "CIFAR setting has no blur");
        assertEquals(0.5, AugmentSpec.stl10().blurP());
        assertEquals(0.1, s.blurSigmaMin());
        assertEquals(2.0, s.blurSigmaMax());
        assertEquals(32, s.outputHeightFor(32));
        assertEquals(96, s.outputWidthFor(96));
    }

    @Test
    void blurKernelIsTenPercentAndOdd() {
        AugmentSpec s = AugmentSpec.stl10();
        assertEquals(9, s.blurKernelFor(96, 96));
        assertEquals(3, s.blurKernelFor(32, 32));
        assertEquals(23, s.blurKernelFor(224, 224));
        assertEquals(7, s.blurKernelFor(64, 64), "int(6.4) = 6 -> 7");
        assertEquals(5, s.withBlur(0.5, 0.1, 2.0, 5).blurKernelFor(96, 96));
    }

    @Test
    void outputSizeOverride() {
        AugmentSpec s = AugmentSpec.stl10().withOutputSize(64, 48);
        assertEquals(64, s.outputHeightFor(96));
        assertEquals(48, s.outputWidthFor(96));
    }

    @Test
    void badValuesNameTheKey() {
        AugmentSpec s = AugmentSpec.cifar();
        assertTrue(assertThrows(UserError.class, () -> s.withCropScale(0.5, 0.2)).getMessage().contains("augment.crop-scale"));
        assertTrue(assertThrows(UserError.class, () -> s.withCropScale(0.0, 1.0)).getMessage().contains("augment.crop-scale"));
        assertTrue(assertThrows(UserError.class, () -> s.withProbabilities(1.5, 0.8, 0.2, 0)).getMessage().contains("augment.flip-p"));
        assertTrue(assertThrows(UserError.class, () -> s.withProbabilities(0.5, 0.8, -0.1, 0)).getMessage().contains("augment.grayscale-p"));
        assertTrue(assertThrows(UserError.class, () -> s.withJitter(0.4, 0.4, 0.4, 0.6)).getMessage().contains("augment.hue"));
        assertTrue(assertThrows(UserError.class, () -> s.withBlur(0.5, 0.1, 2.0, 4)).getMessage().contains("augment.blur-kernel"));
        assertTrue(assertThrows(UserError.class, () -> s.withBlur(0.5, 0.0, 2.0, 0)).getMessage().contains("augment.blur-sigma"));
        assertTrue(assertThrows(UserError.class, () -> s.withOutputSize(32, 0)).getMessage().contains("augment.output"));
        assertThrows(UserError.class, () -> s.withJitter(Double.NaN, 0.4, 0.4, 0.1));
    }

    @Test
    void serialisesForSparkClosures() throws Exception {
        AugmentSpec s = AugmentSpec.stl10().withOutputSize(64, 64);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new SimClrAugment(s));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(s, ((SimClrAugment) in.readObject()).spec());
        }
    }
}
