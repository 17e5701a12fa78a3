package dev.pretext.config;

import dev.pretext.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {

    @Test
    void defaultsAreValidAndTyped() {
        PretextConfig c = ConfigLoader.load(List.of(), List.of());
        assertEquals("cifar10", c.dataFormat);
        assertEquals("simclr", c.methodName);
        assertEquals("resnet18-cifar", c.backbone);
        assertEquals(0.25, c.width, 0);
        assertEquals("paramavg", c.trainer);
        assertEquals(0.2, ((dev.pretext.method.SimClr) c.method()).temperature(), 0);
        assertEquals(1, c.workers);
        assertEquals(0.003, c.lr, 0);
        assertEquals(1000, c.monitorTrainImages);
        assertEquals(500, c.monitorTestImages);
        assertEquals(3, c.mean.length);
        assertEquals(64, c.knnChunkMb);
        assertEquals(32, c.readBatchMb);
        assertEquals(32, c.rawPixelsSize);
    }

    @Test
    void datasetLayerIsChosenByFormatAndOverridesWin(@TempDir Path dir) throws Exception {
        File f = dir.resolve("exp.conf").toFile();
        Files.writeString(f.toPath(), "data.format = stl10\ntrain { epochs = 3 }\n");
        PretextConfig c = ConfigLoader.load(List.of(f), List.of("train.epochs=5", "model.width=0.5"));
        assertEquals("stl10", c.dataFormat);
        assertEquals(List.of("train", "unlabeled"), c.pretrainSplits); // from datasets/stl10.conf
        assertEquals(0.5, c.blurP, 0);                                  // from datasets/stl10.conf
        assertEquals(5, c.epochs);                                      // --set beats the file
        assertEquals(0.5, c.width, 0);
    }

    @Test
    void experimentFileBeatsDatasetLayer(@TempDir Path dir) throws Exception {
        File f = dir.resolve("exp.conf").toFile();
        Files.writeString(f.toPath(), "data.format = stl10\naugment.blur-p = 0.25\n");
        assertEquals(0.25, ConfigLoader.load(List.of(f), List.of()).blurP, 0);
    }

    @Test
    void unknownKeyNamesTheKeyAndItsSiblings() {
        UserError e = assertThrows(UserError.class,
                () -> ConfigLoader.load(List.of(), List.of("train.epoch=3")));
        assertTrue(e.getMessage().contains("'train.epoch'"), e.getMessage());
        assertTrue(e.getMessage().contains("train.epochs"), e.getMessage());
    }

    @Test
    void badValuesNameTheKeyAndTheAllowedValues() {
        UserError e = assertThrows(UserError.class,
                () -> ConfigLoader.load(List.of(), List.of("train.trainer=horovod")));
        assertTrue(e.getMessage().contains("train.trainer") && e.getMessage().contains("paramavg|shared"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("model.backbone=vit")));
        assertTrue(e.getMessage().contains("model.backbone") && e.getMessage().contains("resnet18-cifar"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("method.name=dino")));
        assertTrue(e.getMessage().contains("method.name") && e.getMessage().contains("simclr"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("train.batch-size=0")));
        assertTrue(e.getMessage().contains("train.batch-size") && e.getMessage().contains("[2, "), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("train.epochs=many")));
        assertTrue(e.getMessage().contains("train.epochs"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("data.format=imagenet")));
        assertTrue(e.getMessage().contains("cifar10|cifar100|stl10"), e.getMessage());
        for (String key : List.of("eval.knn-chunk-mb", "eval.read-batch-mb", "eval.raw-pixels-size")) {
            e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of(key + "=0")));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void unreadableOrMissingConfigFileIsAClearError(@TempDir Path dir) throws Exception {
        UserError e = assertThrows(UserError.class,
                () -> ConfigLoader.load(List.of(dir.resolve("nope.conf").toFile()), List.of()));
        assertTrue(e.getMessage().contains("nope.conf"), e.getMessage());
        File bad = dir.resolve("bad.conf").toFile();
        Files.writeString(bad.toPath(), "train { epochs = \n");
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(bad), List.of()));
        assertTrue(e.getMessage().contains("bad.conf"), e.getMessage());
        e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("no-equals-sign")));
        assertTrue(e.getMessage().contains("key=value"), e.getMessage());
    }

    @Test
    void setValuesWithPathsAndQuotesParse() {
        PretextConfig c = ConfigLoader.load(List.of(), List.of("data.input=/data/cifar-10-batches-bin",
                "spark.master=local[2]", "eval.reg-grid=[0.5, 1]"));
        assertEquals("/data/cifar-10-batches-bin", c.dataInput);
        assertEquals("local[2]", c.sparkMaster);
        assertArrayEquals(new double[]{0.5, 1}, c.regGrid, 0);
    }

    @Test
    void embeddedQuickstartLoads() {
        PretextConfig c = ConfigLoader.loadEmbedded("quickstart", List.of());
        assertEquals("", c.dataInput);
        assertTrue(c.maxSeconds > 0);
        assertThrows(UserError.class, () -> ConfigLoader.loadEmbedded("nope", List.of()));
    }

    @Test
    void aValueOfTheWrongTypeIsNamedInPlainWords() {
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("train.epochs=abc")));
        assertEquals("config key 'train.epochs': 'abc' is not a number (expected an integer in [1, 100000])",
                e.getMessage());
        UserError d = assertThrows(UserError.class, () -> ConfigLoader.load(List.of(), List.of("train.lr=fast")));
        assertTrue(d.getMessage().startsWith("config key 'train.lr': 'fast' is not a number"), d.getMessage());
        UserError b = assertThrows(UserError.class,
                () -> ConfigLoader.load(List.of(), List.of("patches.include-original=maybe")));
        assertEquals("config key 'patches.include-original': 'maybe' is not true or false", b.getMessage());
        for (UserError u : List.of(e, d, b)) {
            assertFalse(u.getMessage().contains("rather than"), u.getMessage());
        }
    }
}
