package dev.pretext.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An {@link InputFolder} on any Hadoop file system (file://, hdfs://, s3a://, ...). The Hadoop
 * configuration travels with it (Configuration is Writable, not Serializable) so that executors
 * open the files with the driver's settings.
 */
public final class HadoopFolder implements InputFolder {
    private final String uri;
    private transient Configuration conf;

    public HadoopFolder(String uri, Configuration conf) {
        this.uri = uri;
        this.conf = conf;
    }

    private FileSystem fs() throws IOException {
        return new Path(uri).getFileSystem(conf);
    }

    private Path path() {
        return new Path(uri);
    }

    @Override
    public String location() {
        return uri;
    }

    @Override
    public boolean exists() {
        try {
            return fs().exists(path());
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public boolean isDirectory() {
        try {
            return fs().getFileStatus(path()).isDirectory();
        } catch (IOException e) {
            return false;
        }
    }

    private List<String> names(boolean dirs) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus st : fs().listStatus(path())) {
            if (dirs ? st.isDirectory() : st.isFile()) {
                out.add(st.getPath().getName());
            }
        }
        Collections.sort(out);
        return out;
    }

    @Override
    public List<String> fileNames() throws IOException {
        return names(false);
    }

    @Override
    public List<String> folderNames() throws IOException {
        return names(true);
    }

    @Override
    public long size(String name) throws IOException {
        Path p = new Path(path(), name);
        FileSystem fs = fs();
        if (!fs.exists(p)) {
            return -1;
        }
        FileStatus st = fs.getFileStatus(p);
        return st.isFile() ? st.getLen() : -1;
    }

    @Override
    public InputStream open(String name, long offset) throws IOException {
        FSDataInputStream in = fs().open(new Path(path(), name));
        try {
            in.seek(offset);
        } catch (IOException e) {
            in.close();
            throw e;
        }
        return in;
    }

    @Override
    public InputFolder child(String name) {
        return new HadoopFolder(new Path(path(), name).toString(), conf);
    }

    @Override
    public String toString() {
        return uri;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
