package dev.pretext.jobs;

import static org.junit.jupiter.api.Assertions.*;

import dev.pretext.UserError;
import dev.pretext.train.RunSummary;
import dev.pretext.train.TrainingStoppedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How compare names a method's failure, and what it accepts before it starts. */
class CompareTest {
    @TempDir
    Path dir;

    private static RunSummary stopped(String reason) {
        return new RunSummary(0, 1, 1, 4, 2.0, 2.0, 100, Double.NaN, reason, "stopped", null, "paramavg", "epochs",
                "constant", Double.NaN, 256);
    }

    @Test
    void trainingStoppedAsCollapsedOrDivergedIsThatStatusWithTheFirstLineOfTheMessage() {
        Throwable collapsed = new RuntimeException("wrapped",
                new TrainingStoppedException("the embedding 'proj' collapsed: its std was below 1e-4\nmore", stopped(RunSummary.COLLAPSED)));
        assertEquals("collapsed", Compare.status(collapsed));
        assertEquals("the embedding 'proj' collapsed: its std was below 1e-4", Compare.reason(collapsed));
        assertEquals("diverged", Compare.status(new TrainingStoppedException("loss NaN", stopped(RunSummary.DIVERGED))));
        assertEquals("failed", Compare.status(new UserError("config key 'method.byol.momentum': bad")));
        assertEquals("config key 'method.byol.momentum': bad", Compare.reason(new UserError("config key 'method.byol.momentum': bad")));
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        assertEquals("failed", Compare.status(oom));
        assertTrue(Compare.reason(oom).contains("out of memory") && Compare.reason(oom).contains("PRETEXT_HEAP"));
    }

    @Test
    void methodListsAreCheckedAgainstTheRegistry() {
        assertEquals(List.of("simclr", "byol"), Compare.parseMethods(" simclr , byol "));
        UserError e = assertThrows(UserError.class, () -> Compare.parseMethods("simclr,dino,mae"));
        assertTrue(e.getMessage().contains("'dino', 'mae'") && e.getMessage().contains("msbreg"), e.getMessage());
        assertThrows(UserError.class, () -> Compare.parseMethods(""));
        assertThrows(UserError.class, () -> Compare.parseMethods(null));
    }

    @Test
    void outMustBeNewOrEmpty() throws Exception {
        Compare.checkOut(dir.resolve("new"));
        Compare.checkOut(dir);
        Files.writeString(dir.resolve("x.txt"), "x");
        assertTrue(assertThrows(UserError.class, () -> Compare.checkOut(dir)).getMessage().contains("x.txt"));
        assertTrue(assertThrows(UserError.class, () -> Compare.checkOut(dir.resolve("x.txt"))).getMessage()
                .contains("is a file"));
    }

    @org.junit.jupiter.api.Test
    void variantsTakeThePlaceOfMvmrAndAreChecked() {
        List<Compare.Run> runs = Compare.withVariants(List.of("simclr", "mvmr", "byol"), "all; hog ;lsd,image");
        assertEquals(List.of("simclr", "mvmr-all", "mvmr-hog", "mvmr-lsd_image", "byol"),
                runs.stream().map(Compare.Run::id).toList());
        assertEquals(List.of("method.mvmr.descriptors=[lsd,image]"), runs.get(3).overrides());
        assertEquals("mvmr", runs.get(3).method());
        assertEquals(List.of("mvmr-hog"), Compare.withVariants(List.of(), "hog").stream().map(Compare.Run::id).toList());
        UserError e = assertThrows(UserError.class, () -> Compare.withVariants(List.of(), "hog;sift"));
        assertTrue(e.getMessage().contains("sift") && e.getMessage().contains("scattering"), e.getMessage());
        assertThrows(UserError.class, () -> Compare.withVariants(List.of(), "hog;hog"));
        assertThrows(UserError.class, () -> Compare.withVariants(List.of(), " ; "));
    }
}
