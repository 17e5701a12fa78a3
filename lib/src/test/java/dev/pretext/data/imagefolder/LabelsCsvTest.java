package dev.pretext.data.imagefolder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.pretext.UserError;

class LabelsCsvTest {
    private static LabelsCsv parse(String text) throws IOException {
        return LabelsCsv.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "labels.csv");
    }

    @Test
    void fileClassLinesWithOrWithoutHeader() throws IOException {
        LabelsCsv a = parse("file,class\nILSVRC2012_val_00000001.JPEG,n01751748\nval/x.png, n0002 \n");
        assertEquals("n01751748", a.classOf("ILSVRC2012_val_00000001.JPEG"));
        assertEquals("n01751748", a.classOf("some/dir/ILSVRC2012_val_00000001.JPEG"));
        assertEquals("n0002", a.classOf("x.png"));
        assertNull(a.classOf("y.png"));
        LabelsCsv b = parse("# comment\n\nx.jpg,cat\n");
        assertEquals("cat", b.classOf("x.jpg"));
    }

    @Test
    void kaggleLocValSolutionIsReadAsItIs() throws IOException {
        LabelsCsv k = parse("ImageId,PredictionString\n"
                + "ILSVRC2012_val_00008726,n02119789 255 142 454 329 n02119789 44 21 322 295 \n"
                + "ILSVRC2012_val_00048864,n02086910 59 10 499 374\n");
        assertEquals("n02119789", k.classOf("ILSVRC2012_val_00008726.JPEG"));
        assertEquals("n02086910", k.classOf("val/ILSVRC2012_val_00048864.JPEG"));
        assertEquals(2, k.classes().size());
    }

    @Test
    void malformedConflictingAndEmptyFilesAreUserErrorsNamingTheLine() {
        UserError bad = assertThrows(UserError.class, () -> parse("a.jpg,cat\nb.jpg\n"));
        assertTrue(bad.getMessage().contains("line 2") && bad.getMessage().contains("file,class"), bad.getMessage());
        UserError twice = assertThrows(UserError.class, () -> parse("a.jpg,cat\na.jpg,dog\n"));
        assertTrue(twice.getMessage().contains("listed twice"), twice.getMessage());
        UserError empty = assertThrows(UserError.class, () -> parse("file,class\n"));
        assertTrue(empty.getMessage().contains("no 'file,class' lines"), empty.getMessage());
    }
}
