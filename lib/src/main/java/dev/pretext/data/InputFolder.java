package dev.pretext.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.List;

/**
 * A folder of dataset files, local or on a Hadoop file system. Readers see only this, so the same
 * reader runs on a laptop (java.nio) and on Spark executors reading hdfs:// (Hadoop FS). It is
 * serialisable so that a reader can be shipped to executors and reopen the files there.
 */
public interface InputFolder extends Serializable {

    /** Where the folder is, for messages. */
    String location();

    boolean exists();

    boolean isDirectory();

    /** Names of the plain files directly inside, sorted. */
    List<String> fileNames() throws IOException;

    /** Names of the sub-folders directly inside, sorted. */
    List<String> folderNames() throws IOException;

    /** Size in bytes of a file in this folder, or -1 when it is absent. */
    long size(String name) throws IOException;

    /** Opens a file and positions it at {@code offset} bytes. */
    InputStream open(String name, long offset) throws IOException;

    InputFolder child(String name);
}
