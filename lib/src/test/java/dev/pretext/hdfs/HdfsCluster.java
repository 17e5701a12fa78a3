package dev.pretext.hdfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * A real HDFS (one namenode, one datanode) inside the test JVM, listening on 127.0.0.1 only, for
 * tests that run jobs on {@code hdfs://} paths. Paths given to the helpers are relative to the
 * file system root ({@code "in/cifar10"}) or absolute ({@code "/in"}, {@code "hdfs://..."}).
 *
 * <pre>{@code
 * try (HdfsCluster hdfs = HdfsCluster.start(tempDir)) {
 *     String in = hdfs.copyFromLocal(localFolder, "in");   // hdfs://127.0.0.1:PORT/in
 *     ... run a job on in ...
 *     assertTrue(hdfs.list("out").contains("_manifest.json"));
 * }
 * }</pre>
 *
 * <p>The client side is the Hadoop client Spark runs on (hadoop-client-api/runtime); the shaded
 * minicluster jar adds only the server classes (no class file in common with the rest of the test
 * classpath), so a Spark session reads and writes the cluster through fully qualified URIs with
 * its own Hadoop configuration, nothing to set.
 */
public final class HdfsCluster implements AutoCloseable {
    private final MiniDFSCluster cluster;
    private final URI uri;
    private final FileSystem fs;

    private HdfsCluster(MiniDFSCluster cluster) throws IOException {
        this.cluster = cluster;
        // getURI() names the host by its reverse lookup (localhost); the address is what we bound
        this.uri = URI.create("hdfs://127.0.0.1:" + cluster.getNameNodePort());
        // a client of our own, not the FileSystem cache's shared instance: closing it never closes
        // an instance a Spark job is using
        this.fs = FileSystem.newInstance(uri, clientConf());
    }

    /**
     * Our client closes a file by asking the namenode to complete it, and retries while the
     * datanode's block report has not yet arrived, first after 400 ms. On one loopback datanode
     * the report comes within milliseconds: a short first retry makes copying a folder of a few
     * files take tens of milliseconds, not seconds.
     */
    private static Configuration clientConf() {
        Configuration conf = new Configuration();
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 20);
        return conf;
    }

    /**
     * Formats and starts a cluster whose name and data directories live under {@code baseDir}
     * (a JUnit @TempDir); blocks until the datanode has registered.
     */
    public static HdfsCluster start(java.nio.file.Path baseDir) {
        Configuration conf = new Configuration();
        conf.set("hadoop.security.authentication", "simple");
        // loopback only: the machine is shared, and nothing outside the JVM needs the cluster
        conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
        conf.set("dfs.namenode.http-address", "127.0.0.1:0");
        conf.set("dfs.namenode.https-address", "127.0.0.1:0");
        conf.set("dfs.datanode.address", "127.0.0.1:0");
        conf.set("dfs.datanode.http.address", "127.0.0.1:0");
        conf.set("dfs.datanode.https.address", "127.0.0.1:0");
        conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        conf.set("dfs.datanode.hostname", "127.0.0.1");
        // the namenode always runs its HTTP server; keep it plain and without the REST API
        conf.set("dfs.http.policy", "HTTP_ONLY");
        conf.setBoolean("dfs.webhdfs.enabled", false);
        conf.setInt("dfs.replication", 1);
        // the datanode reports sooner (startup waits on it); the dead-node timeout is left at its
        // default, so a test JVM starved of CPU on a shared machine does not lose its datanode
        conf.setInt("dfs.heartbeat.interval", 1);
        conf.setInt("dfs.blockreport.initialDelay", 0);
        try {
            MiniDFSCluster c = new MiniDFSCluster.Builder(conf, baseDir.toFile())
                    .numDataNodes(1)
                    .checkDataNodeAddrConfig(true)   // use the 127.0.0.1:0 addresses above
                    .checkDataNodeHostConfig(true)
                    .format(true)
                    .build();
            try {
                c.waitActive();
                return new HdfsCluster(c);
            } catch (IOException | RuntimeException e) {
                c.shutdown(true);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start MiniDFSCluster under " + baseDir, e);
        }
    }

    /** {@code hdfs://127.0.0.1:PORT}, without a trailing slash. */
    public String uri() {
        String s = uri.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** The fully qualified URI of {@code path} (relative to the root, absolute, or already qualified). */
    public String path(String path) {
        return qualify(path).toString();
    }

    /** A client of this cluster, closed with it. */
    public FileSystem fs() {
        return fs;
    }

    /** Copies a local file or folder (recursively) to {@code dest}; returns the qualified destination. */
    public String copyFromLocal(java.nio.file.Path local, String dest) {
        Path to = qualify(dest);
        try {
            if (Files.isDirectory(local)) {
                fs.mkdirs(to);
                try (Stream<java.nio.file.Path> s = Files.list(local)) {
                    for (java.nio.file.Path child : s.sorted().toList()) {
                        copyFromLocal(child, new Path(to, child.getFileName().toString()).toString());
                    }
                }
            } else {
                try (InputStream in = Files.newInputStream(local); OutputStream out = fs.create(to, false)) {
                    in.transferTo(out);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + local + " to " + to, e);
        }
        return to.toString();
    }

    /** Copies {@code path} (file or folder) from the cluster into a local path that must not exist. */
    public java.nio.file.Path copyToLocal(String path, java.nio.file.Path local) {
        Path from = qualify(path);
        try {
            if (fs.getFileStatus(from).isDirectory()) {
                Files.createDirectories(local);
                for (FileStatus st : fs.listStatus(from)) {
                    copyToLocal(st.getPath().toString(), local.resolve(st.getPath().getName()));
                }
            } else {
                try (InputStream in = fs.open(from)) {
                    Files.copy(in, local);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + local, e);
        }
        return local;
    }

    /** Names directly inside a directory, sorted; empty when it does not exist. */
    public List<String> list(String dir) {
        Path p = qualify(dir);
        try {
            if (!fs.exists(p)) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            for (FileStatus st : fs.listStatus(p)) {
                names.add(st.getPath().getName());
            }
            Collections.sort(names);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + p, e);
        }
    }

    public boolean exists(String path) {
        try {
            return fs.exists(qualify(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    public byte[] read(String file) {
        try (InputStream in = fs.open(qualify(file))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Writes (replacing) a file, creating its parent directories. */
    public String write(String file, byte[] data) {
        Path p = qualify(file);
        try (OutputStream out = fs.create(p, true)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
        return p.toString();
    }

    /** Deletes a file or directory tree; true when something was deleted. */
    public boolean delete(String path) {
        try {
            return fs.delete(qualify(path), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }

    private Path qualify(String path) {
        Path p = new Path(path);
        if (p.toUri().getScheme() == null && !p.isAbsolute()) {
            p = new Path("/", p);
        }
        return fs.makeQualified(p);
    }

    /**
     * Stops the datanode and namenode and deletes their directories. Jobs must be finished: a
     * Spark session's cached client for this URI is closed too, so that no retrying client
     * thread outlives the cluster.
     */
    @Override
    public void close() {
        try {
            fs.close();
        } catch (IOException ignored) {
            // shutting down anyway
        }
        try {
            // the shared cached instance (Spark's); FileSystem.get creates one if none was cached,
            // which is cheap and closed at once
            FileSystem.get(uri, new Configuration()).close();
        } catch (IOException ignored) {
            // shutting down anyway
        }
        // the datanode logs its own orderly stop at ERROR ("Command processor encountered
        // interrupt"), which reads like a test failure
        Configurator.setLevel("org.apache.hadoop.hdfs.server.datanode.DataNode", Level.FATAL);
        cluster.shutdown(true);
    }
}
