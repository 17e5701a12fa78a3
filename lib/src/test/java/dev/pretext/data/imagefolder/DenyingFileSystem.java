package dev.pretext.data.imagefolder;

import java.io.IOException;
import java.net.URI;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code deny://}, where a folder whose name ends in
 * {@code .denied} cannot be listed, as a folder without read permission. Tests run as root in CI,
 * where chmod 000 does not stop a listing; this plants the same failure (an AccessDeniedException
 * from listStatus) whoever runs the test.
 */
public class DenyingFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "deny";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        if (f.getName().endsWith(".denied")) {
            throw new java.nio.file.AccessDeniedException(f.toString(), null, "Permission denied");
        }
        return super.listStatus(f);
    }

    /** Registers the scheme in a Hadoop configuration. */
    public static void register(org.apache.hadoop.conf.Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", DenyingFileSystem.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    }
}
