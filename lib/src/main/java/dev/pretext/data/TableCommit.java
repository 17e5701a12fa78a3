package dev.pretext.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import dev.pretext.UserError;

/**
 * Writes a table so that readers only ever see a complete one: everything goes into a sibling
 * {@code <out>.tmp-<uuid>}, the manifest is written last, and the directory is then renamed onto
 * {@code <out>}. Closing without {@link #commit} deletes the temporary directory, so a failure
 * leaves nothing half-written. Works on any Hadoop file system (file://, hdfs://).
 *
 * <pre>{@code
 * try (TableCommit c = TableCommit.begin(conf, out, overwrite)) {
 *     df.write().parquet(c.tempDir());
 *     c.commit(manifest);
 * }
 * }</pre>
 */
public final class TableCommit implements AutoCloseable {
    private final FileSystem fs;
    private final Path out;
    private final Path tmp;
    private final boolean overwrite;
    private final Configuration conf;
    private boolean committed;

    private TableCommit(Configuration conf, FileSystem fs, Path out, Path tmp, boolean overwrite) {
        this.conf = conf;
        this.fs = fs;
        this.out = out;
        this.tmp = tmp;
        this.overwrite = overwrite;
    }

    /**
     * Starts a commit of {@code out}. Fails at once when {@code out} exists and {@code overwrite} is
     * false, before any work is done.
     */
    public static TableCommit begin(Configuration conf, String out, boolean overwrite) {
        FileSystem fs = checkOutput(conf, out, overwrite);
        Path q = fs.makeQualified(new Path(out));
        Path tmp = new Path(q.getParent(), q.getName() + ".tmp-" + UUID.randomUUID());
        return new TableCommit(conf, fs, q, tmp, overwrite);
    }

    /**
     * The check {@link #begin} makes, for commands to run before any work (before Spark starts):
     * fails when {@code out} is empty, or exists and {@code overwrite} is false. Returns the file
     * system of {@code out}.
     */
    public static FileSystem checkOutput(Configuration conf, String out, boolean overwrite) {
        if (out == null || out.isBlank()) {
            throw new UserError("output table path is empty; give a directory path that does not exist yet");
        }
        try {
            Path p = new Path(out);
            FileSystem fs = p.getFileSystem(conf);
            Path q = fs.makeQualified(p);
            if (!overwrite && fs.exists(q)) {
                throw existsError(q);
            }
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check output " + out, e);
        }
    }

    private static UserError existsError(Path out) {
        return new UserError("output " + out + " already exists; choose a new path or pass overwrite (--overwrite) "
                + "to replace it");
    }

    /** Where to write the table's files; it does not exist yet (Spark writers create it). */
    public String tempDir() {
        return tmp.toString();
    }

    /** The final, fully qualified table path. */
    public String outDir() {
        return out.toString();
    }

    /** Writes the manifest into the temporary directory, then renames it onto the output. */
    public void commit(Manifest manifest) {
        if (committed) {
            throw new IllegalStateException("already committed: " + out);
        }
        try {
            if (!fs.exists(tmp)) {
                fs.mkdirs(tmp);
            }
            manifest.write(conf, tmp.toString());
            Path old = null;
            if (fs.exists(out)) {
                if (!overwrite) {
                    throw existsError(out); // someone created it while we worked
                }
                // move the old table aside first: renaming onto an existing directory would nest into it
                old = new Path(out.getParent(), out.getName() + ".old-" + UUID.randomUUID());
                if (!fs.rename(out, old)) {
                    throw new IOException("cannot move the old table " + out + " aside to " + old);
                }
            }
            if (!fs.rename(tmp, out)) {
                if (old != null) {
                    fs.rename(old, out);
                }
                throw new IOException("cannot rename " + tmp + " to " + out);
            }
            committed = true;
            if (old != null) {
                fs.delete(old, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit table " + out, e);
        }
    }

    public boolean committed() {
        return committed;
    }

    /** Deletes the temporary directory unless the table was committed. */
    @Override
    public void close() {
        if (!committed) {
            try {
                fs.delete(tmp, true);
            } catch (IOException ignored) {
                // the original failure matters more; a stray .tmp- directory is visibly not a table
            }
        }
    }
}
