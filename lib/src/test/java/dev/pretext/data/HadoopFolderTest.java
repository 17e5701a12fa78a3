package dev.pretext.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopFolderTest {
    @TempDir
    Path dir;

    /** A folder shipped to an executor (Java-serialised) still opens files, with the driver's settings. */
    @Test
    void survivesSerialisationAndSeeks() throws Exception {
        Files.write(dir.resolve("a.bin"), new byte[] {10, 11, 12, 13});
        Files.createDirectories(dir.resolve("sub"));
        Configuration conf = new Configuration();
        conf.set("pretext.test.key", "kept");
        HadoopFolder folder = new HadoopFolder(dir.toUri().toString(), conf);

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(buf)) {
            out.writeObject(folder);
        }
        HadoopFolder copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buf.toByteArray()))) {
            copy = (HadoopFolder) in.readObject();
        }
        assertTrue(copy.exists() && copy.isDirectory());
        assertEquals(List.of("a.bin"), copy.fileNames().stream().filter(n -> !n.endsWith(".crc")).toList());
        assertEquals(List.of("sub"), copy.folderNames());
        assertEquals(4, copy.size("a.bin"));
        assertEquals(-1, copy.size("missing.bin"));
        try (InputStream in = copy.open("a.bin", 2)) {
            assertEquals(12, in.read());
        }
        // the configuration travelled too
        java.lang.reflect.Field f = HadoopFolder.class.getDeclaredField("conf");
        f.setAccessible(true);
        assertEquals("kept", ((Configuration) f.get(copy)).get("pretext.test.key"));
    }

    @Test
    void readersWorkThroughIt() throws IOException {
        BinaryFiles.write(dir, "train.bin", BinaryFiles.cifarRecord(0, 1, 7));
        BinaryFiles.write(dir, "test.bin");
        Cifar100Reader r = new Cifar100Reader(new HadoopFolder(dir.toString(), new Configuration()), OnCorrupt.FAIL);
        assertEquals(1, r.recordsSeen());
        assertEquals(7, r.readAll().next().image().label());
    }
}
