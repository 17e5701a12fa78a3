package dev.pretext.data.imagefolder;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Lists folders of an image-folder dataset on the executors (any Hadoop file system). A folder that
 * cannot be listed becomes an {@link InputEntry#UNREADABLE} input rather than a failed task, so that
 * under {@code --on-corrupt skip} it is quarantined with its reason and the rest is ingested.
 * Hidden files ({@code .DS_Store}, {@code ._x.jpg}, {@code _SUCCESS}) are not inputs.
 */
final class FolderLister implements Serializable {
    static final String LABELS_FILE = "labels.csv";

    /** The driver's Hadoop settings, shipped to the executors (Configuration itself is not Serializable). */
    private final org.apache.spark.util.SerializableConfiguration hadoop;

    FolderLister(Configuration conf) {
        this.hadoop = new org.apache.spark.util.SerializableConfiguration(conf);
    }

    static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    /**
     * The direct entries of a split folder: its files (a flat split; {@code labels.csv} is not an
     * input) and its class folders (to be listed by {@link #listClass}).
     */
    List<InputEntry> listSplit(String uri, String split) {
        List<InputEntry> out = new ArrayList<>();
        try {
            Path dir = new Path(uri);
            FileSystem fs = dir.getFileSystem(hadoop.value());
            for (FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (hidden(name) || (st.isFile() && name.equals(LABELS_FILE))) {
                    continue;
                }
                if (st.isDirectory()) {
                    out.add(InputEntry.dir(st.getPath().toString(), new Placement(split, name, split + "/" + name)));
                } else if (st.isFile()) {
                    out.add(InputEntry.file(st.getPath().toString(), st.getLen(),
                            new Placement(split, null, split + "/" + name)));
                }
            }
        } catch (IOException | RuntimeException e) {
            out.clear();
            out.add(InputEntry.unreadable(uri, "cannot list folder: " + describe(e)));
        }
        return out;
    }

    /** Every file under a class folder, at any depth; the class is the folder's name. */
    List<InputEntry> listClass(InputEntry classDir) {
        List<InputEntry> out = new ArrayList<>();
        Placement p = classDir.placement();
        try {
            Path dir = new Path(classDir.uri());
            FileSystem fs = dir.getFileSystem(hadoop.value());
            // listStatus, not listFiles: block locations are not needed and cost a lookup per file on HDFS
            java.util.ArrayDeque<FileStatus> todo = new java.util.ArrayDeque<>();
            todo.push(fs.getFileStatus(dir));
            while (!todo.isEmpty()) {
                FileStatus d = todo.pop();
                String rel = d.getPath().toUri().getPath().substring(fs.makeQualified(dir).toUri().getPath().length());
                FileStatus[] children = fs.listStatus(d.getPath());
                java.util.Arrays.sort(children);
                for (FileStatus st : children) {
                    String name = st.getPath().getName();
                    if (hidden(name)) {
                        continue;
                    }
                    if (st.isDirectory()) {
                        todo.push(st);
                    } else if (st.isFile()) {
                        out.add(InputEntry.file(st.getPath().toString(), st.getLen(),
                                new Placement(p.split(), p.className(), p.relative() + rel + "/" + name)));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            out.clear();
            out.add(InputEntry.unreadable(classDir.uri(), "cannot list folder: " + describe(e)));
        }
        return out;
    }

    /** The bytes of a file, at most {@code maxBytes} (larger files are refused, not truncated). */
    byte[] readAll(String uri, long maxBytes) throws IOException {
        Path p = new Path(uri);
        FileSystem fs = p.getFileSystem(hadoop.value());
        long len = fs.getFileStatus(p).getLen();
        if (len > maxBytes) {
            throw new IOException("file of " + len + " bytes is larger than the " + maxBytes + "-byte limit on one input");
        }
        try (java.io.InputStream in = fs.open(p)) {
            return in.readNBytes((int) len);
        }
    }

    /** An open stream at {@code offset} of a file (tars). */
    java.io.InputStream open(String uri, long offset) throws IOException {
        Path p = new Path(uri);
        org.apache.hadoop.fs.FSDataInputStream in = p.getFileSystem(hadoop.value()).open(p, 1 << 20);
        try {
            in.seek(offset);
        } catch (IOException e) {
            in.close();
            throw e;
        }
        return in;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
