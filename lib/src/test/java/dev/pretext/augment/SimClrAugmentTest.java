package dev.pretext.augment;

import dev.pretext.UserError;
import dev.pretext.data.ImageRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimClrAugmentTest {
    private static final int DRAWS = 20_000;
    private final SimClrAugment cifar = new SimClrAugment(AugmentSpec.cifar());
    private final SimClrAugment stl = new SimClrAugment(AugmentSpec.stl10());

    @Test
    void sameSeedSameViewDifferentSeedDifferentView() {
        ImageRecord img = TestImages.gradient("g", 32, 32);
        View a = cifar.view(img, 1234L);
        View b = cifar.view(img, 1234L);
        assertEquals(a.params(), b.params());
        assertArrayEquals(a.pixels(), b.pixels());
        Set<String> distinct = new HashSet<>();
        for (long s = 0; s < 100; s++) {
            distinct.add(Arrays.toString(cifar.view(img, s).pixels()));
        }
        assertTrue(distinct.size() >= 98, "only " + distinct.size() + " distinct views of 100 seeds");
    }

    @Test
    void pinnedViewStaysStable() {
        // Pinned on first implementation: guards against accidental changes of the RNG use or the
        // pixel maths, which would silently invalidate materialised views.
        SimClrAugment all = new SimClrAugment(AugmentSpec.stl10().withProbabilities(1, 1, 0, 1));
        View v = all.view(TestImages.gradient("g", 24, 20), 99L);
        assertEquals(PINNED_PARAMS, v.params().toString());
        CRC32 crc = new CRC32();
        crc.update(v.pixels());
        assertEquals(PINNED_CRC, crc.getValue());
    }

    static final String PINNED_PARAMS = "AugmentParams[cropX=1, cropY=5, cropW=19, cropH=15, flip=true, jitter=true, "
            + "brightness=0.8291495105747719, contrast=1.3109925073421163, saturation=0.9893570133089336, "
            + "hue=0.029636878279529183, jitterOrder=BHCS, grayscale=false, blurSigma=1.9075239174586547, blurKernel=3]";
    static final long PINNED_CRC = 685323223L;

    @Test
    void identicalAcrossThreads() throws Exception {
        List<ImageRecord> imgs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            imgs.add(TestImages.random("r" + i, 32, 32, 3, i));
        }
        List<byte[]> serial = new ArrayList<>();
        for (int i = 0; i < imgs.size(); i++) {
            serial.add(stl.view(imgs.get(i), ViewSeeds.seed(5, imgs.get(i).id(), 0, i % 2)).pixels());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> futures = new ArrayList<>();
            for (int i = imgs.size() - 1; i >= 0; i--) {
                ImageRecord img = imgs.get(i);
                int v = i % 2;
                futures.add(pool.submit(() -> stl.view(img, ViewSeeds.seed(5, img.id(), 0, v)).pixels()));
            }
            for (int i = 0; i < imgs.size(); i++) {
                assertArrayEquals(serial.get(imgs.size() - 1 - i), futures.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void cropBoxesFollowRandomResizedCrop() {
        int n = 32, minX = n, maxRight = 0;
        double sumArea = 0;
        for (long s = 0; s < DRAWS; s++) {
            AugmentParams p = cifar.sample(n, n, s);
            assertTrue(p.cropX() >= 0 && p.cropY() >= 0 && p.cropX() + p.cropW() <= n && p.cropY() + p.cropH() <= n, p.toString());
            double area = (double) p.cropW() * p.cropH() / (n * n);
            // rounding w and h to integers moves the area fraction a little below scale_min
            assertTrue(area >= 0.18 && area <= 1.0, "area " + area);
            // the drawn (unrounded) ratio lies in [3/4, 4/3]: bound it through the rounding
            assertTrue((p.cropW() + 0.5) / (p.cropH() - 0.5) >= 0.75, p.toString());
            assertTrue((p.cropW() - 0.5) / (p.cropH() + 0.5) <= 4.0 / 3.0, p.toString());
            sumArea += area;
            minX = Math.min(minX, p.cropX());
            maxRight = Math.max(maxRight, p.cropX() + p.cropW());
        }
        // area fraction ~ U(0.2, 1) => mean ~0.6 (slightly less: boxes above 32 are redrawn)
        assertEquals(0.59, sumArea / DRAWS, 0.04);
        assertEquals(0, minX, "some crops touch the left edge");
        assertEquals(n, maxRight, "some crops touch the right edge");
    }

    @Test
    void cropFallsBackToClippedCentreCrop() {
        // 64x4 is too wide for any box of area >= 0.2 with ratio <= 4/3: all 10 tries fail.
        AugmentParams p = cifar.sample(4, 64, 3L);
        assertEquals(new int[]{29, 0, 5, 4}[0], p.cropX());
        assertEquals(0, p.cropY());
        assertEquals(5, p.cropW(), "round(4 * 4/3) = 5");
        assertEquals(4, p.cropH());
        AugmentParams tall = cifar.sample(64, 4, 3L);
        assertEquals(4, tall.cropW());
        assertEquals(5, tall.cropH(), "round(4 / (3/4)) = 5");
        assertEquals(29, tall.cropY());
    }

    @Test
    void probabilitiesAndJitterRanges() {
        int flips = 0, jitters = 0, grays = 0, blurs = 0;
        Map<String, Integer> orders = new HashMap<>();
        for (long s = 0; s < DRAWS; s++) {
            AugmentParams p = stl.sample(96, 96, s);
            flips += p.flip() ? 1 : 0;
            grays += p.grayscale() ? 1 : 0;
            if (p.jitter()) {
                jitters++;
                orders.merge(p.jitterOrder(), 1, Integer::sum);
                assertTrue(p.brightness() >= 0.6 && p.brightness() <= 1.4, p.toString());
                assertTrue(p.contrast() >= 0.6 && p.contrast() <= 1.4, p.toString());
                assertTrue(p.saturation() >= 0.6 && p.saturation() <= 1.4, p.toString());
                assertTrue(Math.abs(p.hue()) <= 0.1, p.toString());
            } else {
                assertEquals("", p.jitterOrder());
                assertEquals(1.0, p.brightness());
                assertEquals(0.0, p.hue());
            }
            if (p.blurSigma() > 0) {
                blurs++;
                assertTrue(p.blurSigma() >= 0.1 && p.blurSigma() <= 2.0, p.toString());
                assertEquals(9, p.blurKernel());
            } else {
                assertEquals(0, p.blurKernel());
            }
        }
        assertEquals(0.5, flips / (double) DRAWS, 0.02);
        assertEquals(0.8, jitters / (double) DRAWS, 0.02);
        assertEquals(0.2, grays / (double) DRAWS, 0.02);
        assertEquals(0.5, blurs / (double) DRAWS, 0.02);
        assertEquals(24, orders.size(), "every order of the four jitter ops occurs");
        for (int count : orders.values()) {
            assertEquals(1.0 / 24, count / (double) jitters, 0.012);
        }
        for (long s = 0; s < 2000; s++) {
            assertEquals(0.0, cifar.sample(32, 32, s).blurSigma(), "no blur in the CIFAR setting");
        }
    }

    @Test
    void changingOneProbabilityLeavesOtherDrawsAlone() {
        SimClrAugment noJitter = new SimClrAugment(AugmentSpec.stl10().withProbabilities(0.5, 0.0, 0.2, 0.5));
        for (long s = 0; s < 200; s++) {
            AugmentParams a = stl.sample(96, 96, s), b = noJitter.sample(96, 96, s);
            assertEquals(a.cropX(), b.cropX());
            assertEquals(a.cropW(), b.cropW());
            assertEquals(a.flip(), b.flip());
            assertEquals(a.grayscale(), b.grayscale());
            assertEquals(a.blurSigma(), b.blurSigma());
            assertFalse(b.jitter());
        }
    }

    @Test
    void fullCropWithIdentityOpsReturnsTheImage() {
        ImageRecord img = TestImages.random("r", 10, 12, 3, 7);
        assertArrayEquals(img.data(), cifar.apply(img, AugmentParams.cropOnly(0, 0, 12, 10)).pixels());
        AugmentParams identityJitter = new AugmentParams(0, 0, 12, 10, false, true, 1, 1, 1, 0, "HSCB", false, 0, 0);
        assertArrayEquals(img.data(), cifar.apply(img, identityJitter).pixels());
    }

    @Test
    void flipIsExactMirror() {
        ImageRecord img = TestImages.random("r", 6, 9, 3, 8);
        View v = cifar.apply(img, new AugmentParams(0, 0, 9, 6, true, false, 1, 1, 1, 0, "", false, 0, 0));
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 9; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(img.pixel(y, 8 - x, c), v.pixel(y, x, c));
                }
            }
        }
    }

    @Test
    void grayscaleIsRoundedLuma() {
        ImageRecord img = TestImages.random("r", 8, 8, 3, 9);
        View v = cifar.apply(img, new AugmentParams(0, 0, 8, 8, false, false, 1, 1, 1, 0, "", true, 0, 0));
        int checked = 0;
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                double l = 0.299 * img.pixel(y, x, 0) + 0.587 * img.pixel(y, x, 1) + 0.114 * img.pixel(y, x, 2);
                if (Math.abs(l - Math.floor(l) - 0.5) < 1e-3) {
                    continue; // a tie: float rounding may go either way
                }
                checked++;
                for (int c = 0; c < 3; c++) {
                    assertEquals(Math.round(l), v.pixel(y, x, c));
                }
            }
        }
        assertTrue(checked > 50);
    }

    @Test
    void brightnessThroughTheFullPipeline() {
        ImageRecord img = TestImages.random("r", 8, 8, 3, 10);
        View v = cifar.apply(img, new AugmentParams(0, 0, 8, 8, false, true, 0.7, 1, 1, 0, "BCSH", false, 0, 0));
        for (int i = 0; i < img.data().length; i++) {
            double want = (img.data()[i] & 0xff) * 0.7;
            assertEquals(want, v.pixels()[i] & 0xff, 0.5 + 1e-3);
        }
    }

    @Test
    void outputSizeAndChannels() {
        SimClrAugment to64 = new SimClrAugment(AugmentSpec.stl10().withOutputSize(64, 48));
        View v = to64.view(TestImages.random("r", 96, 96, 3, 1), 5L);
        assertEquals(64, v.height());
        assertEquals(48, v.width());
        assertEquals(64 * 48 * 3, v.pixels().length);
        assertEquals(7, v.params().blurSigma() > 0 ? v.params().blurKernel() : 7, "kernel from the smaller output side");
        View gray = cifar.view(TestImages.random("g1", 20, 30, 1, 2), 6L);
        assertEquals(1, gray.channels());
        assertEquals(600, gray.pixels().length);
        View odd = cifar.view(TestImages.random("o", 1, 1, 3, 3), 7L);
        assertEquals(3, odd.pixels().length);
    }

    @Test
    void augmentedPixelsStayInTheSourceRangeForConstantImages() {
        // A constant gray image stays constant-ish under crop/flip/blur; jitter moves it but
        // never outside [0, 255]; grayscale keeps the channels equal.
        byte[] data = new byte[16 * 16 * 3];
        Arrays.fill(data, (byte) 100);
        ImageRecord img = TestImages.record("c", 16, 16, 3, data);
        for (long s = 0; s < 200; s++) {
            View v = stl.view(img, s);
            int first = v.pixel(0, 0, 0);
            for (int i = 0; i < v.pixels().length; i++) {
                assertEquals(first, v.pixels()[i] & 0xff, 1, "a gray image stays uniform and gray");
            }
            if (!v.params().jitter()) {
                assertEquals(100, first);
            }
        }
    }

    @Test
    void aPngRowGivesTheSameViewAsItsRawPixels() {
        ImageRecord raw = TestImages.random("p/1", 12, 10, 3, 5);
        byte[] png = dev.pretext.data.ImageEncoder.png().encode(new dev.pretext.data.DecodedImage(12, 10, raw.data()));
        ImageRecord encoded = new ImageRecord("p/1", "train", 0, -1, 12, 10, 3, ImageRecord.PNG, png, "s");
        assertArrayEquals(cifar.view(raw, 9).pixels(), cifar.view(encoded, 9).pixels());
    }

    @Test
    void badRecordsAreUserErrorsNamingTheImage() {
        ImageRecord png = new ImageRecord("x/1", "train", 0, -1, 4, 4, 3, "png", new byte[10], "s");
        assertTrue(assertThrows(UserError.class, () -> cifar.view(png, 1)).getMessage().contains("x/1"));
        ImageRecord shortData = new ImageRecord("x/2", "train", 0, -1, 4, 4, 3, "raw", new byte[47], "s");
        assertTrue(assertThrows(UserError.class, () -> cifar.view(shortData, 1)).getMessage().contains("x/2"));
        ImageRecord rgba = new ImageRecord("x/3", "train", 0, -1, 4, 4, 4, "raw", new byte[64], "s");
        assertTrue(assertThrows(UserError.class, () -> cifar.view(rgba, 1)).getMessage().contains("x/3"));
        ImageRecord ok = TestImages.random("ok", 4, 4, 3, 1);
        assertThrows(IllegalArgumentException.class, () -> cifar.apply(ok, AugmentParams.cropOnly(2, 2, 3, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> new AugmentParams(0, 0, 4, 4, false, true, 1, 1, 1, 0, "BCS", false, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new AugmentParams(0, 0, 4, 4, false, false, 1, 1, 1, 0, "", false, 1.0, 4));
    }

    @Test
    void differentImagesSameSeedShareParameters() {
        // parameters depend on (size, seed) only, never on pixel values
        View a = cifar.view(TestImages.random("a", 32, 32, 3, 1), 77L);
        View b = cifar.view(TestImages.random("b", 32, 32, 3, 2), 77L);
        assertEquals(a.params(), b.params());
        assertNotEquals(Arrays.toString(a.pixels()), Arrays.toString(b.pixels()));
    }
}
