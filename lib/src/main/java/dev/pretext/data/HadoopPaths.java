package dev.pretext.data;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Paths as every job records them: fully qualified (so executors resolve them as the driver does), with sizes. */
public final class HadoopPaths {
    private HadoopPaths() {
    }

    /** {@code dir} as an absolute URI on its file system ({@code file:/...}, {@code hdfs://nn:8020/...}). */
    public static String qualify(String dir, Configuration conf) {
        try {
            Path p = new Path(dir);
            return p.getFileSystem(conf).makeQualified(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve " + dir, e);
        }
    }

    /** Bytes under {@code dir} (a file's length, or the sum of a folder's files). */
    public static long sizeBytes(String dir, Configuration conf) {
        try {
            Path p = new Path(dir);
            return p.getFileSystem(conf).getContentSummary(p).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + dir, e);
        }
    }
}
