package dev.pretext.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * A file or directory on any Hadoop file system ({@code /local/path}, {@code file:/...},
 * {@code hdfs://nn/...}, ...): what a run directory (checkpoints, metrics, reports, config, lock)
 * is written through, so that {@code run.dir} may be local or {@code hdfs://}.
 *
 * <p>Reads, writes, appends, listings and deletes go through Hadoop's {@link FileSystem}; local
 * paths through its raw local file system (no {@code .crc} side files, appends supported). The two
 * operations whose atomicity the run directory relies on are spelled out per file system:
 * <ul>
 *   <li>{@link #moveOnto}: HDFS renames atomically at the namenode (its rename with
 *       {@code OVERWRITE}, replacing a file); a local rename is {@code rename(2)} (java.nio's atomic
 *       move), because Hadoop's local rename falls back to copy + delete when a plain rename fails.
 *       Other file systems (object stores) get a move-aside-then-rename, which is not atomic.</li>
 *   <li>{@link #createExclusive}: HDFS's create-without-overwrite is atomic at the namenode; the local
 *       one is exists-then-open, so local files are created under a temporary name and hard-linked,
 *       which fails when the name exists.</li>
 * </ul>
 * Instances are values: {@link #child} makes a new one, nothing is created until written.
 */
public final class FsDir {
    private static volatile Configuration defaultConf;

    private final Path path;
    private final FileSystem fs;
    /** The java.nio path of a local file, else null. */
    private final java.nio.file.Path local;

    private FsDir(Path path, FileSystem fs, java.nio.file.Path local) {
        this.path = path;
        this.fs = fs;
        this.local = local;
    }

    /**
     * {@code location} as given by a user: a URI with a scheme ({@code hdfs://nn:8020/runs}), or a
     * local path (relative paths are resolved against the working directory). The Hadoop
     * configuration is Spark's ({@code spark.hadoop.*} from spark-submit included).
     */
    public static FsDir of(String location) {
        return of(location, conf());
    }

    public static FsDir of(String location, Configuration conf) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("empty path");
        }
        URI u;
        try {
            u = new Path(location).toUri();
        } catch (IllegalArgumentException e) {
            u = null;
        }
        String scheme = u == null ? null : u.getScheme();
        if (scheme == null || scheme.length() == 1) {            // a plain (or Windows drive) path
            return local(java.nio.file.Path.of(location));
        }
        if (scheme.equals("file")) {
            return local(java.nio.file.Path.of(u.getPath()));
        }
        try {
            Path p = new Path(location);
            FileSystem fs = p.getFileSystem(conf);
            return new FsDir(fs.makeQualified(p), fs, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the file system of " + location, e);
        }
    }

    /** A local path (made absolute). */
    public static FsDir local(java.nio.file.Path p) {
        java.nio.file.Path abs = p.toAbsolutePath().normalize();
        Configuration conf = conf();
        try {
            FileSystem raw = FileSystem.getLocal(conf).getRaw();
            // not abs.toUri(): that ends an existing directory with '/', and its name would read as ""
            Path q = new Path(new URI("file", null, abs.toString(), null));
            return new FsDir(raw.makeQualified(q), raw, abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the local file system", e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("not a path: " + abs, e);
        }
    }

    /** Spark's Hadoop configuration: {@code spark.hadoop.*} of the JVM's Spark properties applied. */
    private static Configuration conf() {
        Configuration c = defaultConf;
        if (c == null) {
            synchronized (FsDir.class) {
                if (defaultConf == null) {
                    defaultConf = org.apache.spark.deploy.SparkHadoopUtil.get()
                            .newConfiguration(new org.apache.spark.SparkConf(true));
                }
                c = defaultConf;
            }
        }
        return c;
    }

    /** {@code name} inside this directory; {@code a/b} for deeper paths. */
    public FsDir child(String name) {
        FsDir d = this;
        for (String part : name.split("/")) {
            if (!part.isEmpty()) {
                d = new FsDir(new Path(d.path, part), fs, d.local == null ? null : d.local.resolve(part));
            }
        }
        return d;
    }

    public FsDir parent() {
        return new FsDir(path.getParent(), fs, local == null ? null : local.getParent());
    }

    /** The last path component. */
    public String name() {
        return path.getName();
    }

    /** The fully qualified URI ({@code file:/...}, {@code hdfs://...}). */
    public String uri() {
        return path.toString();
    }

    public boolean isLocal() {
        return local != null;
    }

    /** The java.nio path of a local file or directory. */
    public Optional<java.nio.file.Path> localPath() {
        return Optional.ofNullable(local);
    }

    /**
     * How to name it to a user, and to Spark's readers and writers: the plain path when local (as
     * before run directories could be remote), else the URI.
     */
    @Override
    public String toString() {
        return local != null ? local.toString() : uri();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FsDir d && d.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    public boolean exists() {
        try {
            return fs.exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + this, e);
        }
    }

    public boolean isDirectory() {
        return status().map(FileStatus::isDirectory).orElse(false);
    }

    public boolean isFile() {
        return status().map(FileStatus::isFile).orElse(false);
    }

    private Optional<FileStatus> status() {
        try {
            return Optional.of(fs.getFileStatus(path));
        } catch (java.io.FileNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + this, e);
        }
    }

    /** Length in bytes of a file. */
    public long length() throws IOException {
        return fs.getFileStatus(path).getLen();
    }

    public void mkdirs() throws IOException {
        if (!fs.mkdirs(path) && !isDirectory()) {
            throw new IOException("cannot create the directory " + this);
        }
    }

    /** The entries of this directory, sorted by name; empty when it does not exist. */
    public List<FsDir> list() throws IOException {
        List<FsDir> out = new ArrayList<>();
        if (!fs.exists(path)) {
            return out;
        }
        for (FileStatus st : fs.listStatus(path)) {
            out.add(child(st.getPath().getName()));
        }
        out.sort(Comparator.comparing(FsDir::name));
        return out;
    }

    public InputStream open() throws IOException {
        return fs.open(path);
    }

    public String readString() throws IOException {
        try (InputStream in = open()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Creates (or replaces) the file, creating its parent directories. Not atomic: see {@link #writeAtomically}. */
    public OutputStream create() throws IOException {
        return fs.create(path, true);
    }

    /** Writes {@code text} to a temporary sibling and moves it onto this file: readers see the old or the new text. */
    public void writeAtomically(String text) throws IOException {
        FsDir tmp = parent().child("." + name() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream out = tmp.create()) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            tmp.moveOnto(this);
        } finally {
            tmp.deleteIfExists();
        }
    }

    /**
     * Appends {@code text} to the file (creating it). Local files are appended to; on other file
     * systems the file is rewritten with the text added ({@link #writeAtomically}): an HDFS append
     * reopens the last block's write pipeline, which fails when a datanode cannot be replaced (any
     * cluster with fewer datanodes than the replication), and object stores cannot append. Meant
     * for small files (a run's metrics: a few MB at most).
     */
    public void append(String text) throws IOException {
        if (local != null) {
            try (OutputStream out = fs.exists(path) ? fs.append(path) : fs.create(path, false)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        writeAtomically(exists() ? readString() + text : text);
    }

    /**
     * Creates the file holding {@code text} only if no file of this name exists, atomically (two
     * processes cannot both succeed). Returns false when it exists.
     */
    public boolean createExclusive(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (local != null) {
            java.nio.file.Path tmp = local.resolveSibling(local.getFileName() + ".tmp-" + UUID.randomUUID());
            Files.createDirectories(local.getParent());
            Files.write(tmp, bytes);
            try {
                Files.createLink(local, tmp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException e) {
                // no hard links here: create-then-write (readers tolerate an empty file)
                try {
                    Files.createFile(local);
                } catch (FileAlreadyExistsException e2) {
                    return false;
                }
                Files.write(local, bytes);
                return true;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        OutputStream out;
        try {
            out = fs.create(path, false);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(path)) {
                return false;   // e.g. a RemoteException wrapping AlreadyBeingCreatedException
            }
            throw e;
        }
        try (out) {
            out.write(bytes);
        }
        return true;
    }

    /**
     * Renames this file or directory to {@code target} atomically, replacing {@code target} when it
     * is a file or an empty directory. Both must be on the same file system.
     */
    public void moveOnto(FsDir target) throws IOException {
        if (local != null && target.local != null) {
            try {
                Files.move(local, target.local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(local, target.local, StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        if (!fs.getUri().equals(target.fs.getUri())) {
            throw new IOException("cannot move " + this + " to another file system: " + target);
        }
        if (fs instanceof DistributedFileSystem dfs) {
            dfs.rename(path, target.path, Options.Rename.OVERWRITE);   // one namenode operation
            return;
        }
        // other file systems (object stores): the old file is moved aside first, so that a crash
        // in between leaves it (under .old-) rather than nothing; not atomic
        Path aside = null;
        if (target.isFile()) {
            aside = new Path(target.path.getParent(), "." + target.name() + ".old-" + UUID.randomUUID());
            if (!fs.rename(target.path, aside)) {
                throw new IOException("cannot move " + target + " aside");
            }
        }
        if (!fs.rename(path, target.path)) {
            if (aside != null) {
                fs.rename(aside, target.path);
            }
            throw new IOException("cannot rename " + this + " to " + target);
        }
        if (aside != null) {
            fs.delete(aside, false);
        }
    }

    /** Deletes the file or directory tree; false when there was nothing. */
    public boolean deleteIfExists() throws IOException {
        return fs.exists(path) && fs.delete(path, true);
    }
}
