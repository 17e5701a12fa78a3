package dev.pretext.data.imagefolder;

import java.io.Serializable;

/**
 * One input found by a listing on an executor: an image file, a folder still to list, or an input
 * that could not be read (an unreadable folder), which counts as one input and is quarantined.
 *
 * @param uri       fully qualified path
 * @param size      bytes (files)
 * @param placement split, class and relative path (files)
 * @param kind      {@link #FILE}, {@link #DIR} or {@link #UNREADABLE}
 * @param error     why it could not be read (UNREADABLE)
 */
record InputEntry(String uri, long size, Placement placement, String kind, String error) implements Serializable {
    static final String FILE = "file";
    static final String DIR = "dir";
    static final String UNREADABLE = "unreadable";

    static InputEntry file(String uri, long size, Placement p) {
        return new InputEntry(uri, size, p, FILE, null);
    }

    static InputEntry dir(String uri, Placement p) {
        return new InputEntry(uri, 0, p, DIR, null);
    }

    static InputEntry unreadable(String uri, String error) {
        return new InputEntry(uri, 0, null, UNREADABLE, error);
    }

    boolean isFile() {
        return FILE.equals(kind);
    }

    boolean isDir() {
        return DIR.equals(kind);
    }
}
