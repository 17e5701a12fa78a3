package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every shipped config file loads and validates, so conf/ never rots. */
class ConfFilesTest {
    @Test
    void everyShippedConfigLoads() {
        File[] files = new File("../conf").listFiles((d, n) -> n.endsWith(".conf"));
        assertNotNull(files);
        assertTrue(files.length >= 4, "conf/ should hold the dataset experiments and the quickstart");
        for (File f : files) {
            PretextConfig c = ConfigLoader.load(List.of(f), List.of());
            String n = f.getName().replace(".conf", "");
            // <dataset>-<method>.conf selects that method; the others are SimCLR
            String want = n.contains("-") && !n.equals("shared-trainer") ? n.substring(n.indexOf('-') + 1) : "simclr";
            assertEquals(want, c.methodName, f.getName());
            c.method();
        }
        for (String ds : List.of("cifar10", "cifar100", "stl10")) {
            for (String m : dev.pretext.method.Methods.names()) {
                assertTrue(new File("../conf/" + ds + "-" + m + ".conf").isFile(), ds + "-" + m + ".conf is missing");
            }
        }
        assertEquals(4, ((dev.pretext.method.MsbReg) ConfigLoader.load(List.of(new File("../conf/cifar10-msbreg.conf")),
                List.of()).method()).viewCount());
        PretextConfig stl = ConfigLoader.load(List.of(new File("../conf/stl10-simclr.conf")), List.of());
        assertEquals(List.of("train", "unlabeled"), stl.pretrainSplits);
        PretextConfig shared = ConfigLoader.load(List.of(new File("../conf/cifar10-simclr.conf"),
                new File("../conf/shared-trainer.conf")), List.of());
        assertEquals("shared", shared.trainer);
        assertEquals(ConfigLoader.loadEmbedded("quickstart", List.of()).render(),
                ConfigLoader.load(List.of(new File("../conf/quickstart.conf")), List.of()).render());
    }
}
