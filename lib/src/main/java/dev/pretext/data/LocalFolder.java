package dev.pretext.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/** An {@link InputFolder} on the local file system. */
public final class LocalFolder implements InputFolder {
    // a String, not a Path: Path is not serialisable
    private final String dir;

    public LocalFolder(Path dir) {
        this.dir = dir.toAbsolutePath().toString();
    }

    private Path path() {
        return Path.of(dir);
    }

    @Override
    public String location() {
        return dir;
    }

    @Override
    public boolean exists() {
        return Files.exists(path());
    }

    @Override
    public boolean isDirectory() {
        return Files.isDirectory(path());
    }

    @Override
    public List<String> fileNames() throws IOException {
        try (Stream<Path> s = Files.list(path())) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public List<String> folderNames() throws IOException {
        try (Stream<Path> s = Files.list(path())) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public long size(String name) throws IOException {
        Path p = path().resolve(name);
        return Files.isRegularFile(p) ? Files.size(p) : -1;
    }

    @Override
    public InputStream open(String name, long offset) throws IOException {
        FileChannel ch = FileChannel.open(path().resolve(name), StandardOpenOption.READ);
        try {
            ch.position(offset);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return Channels.newInputStream(ch);
    }

    @Override
    public InputFolder child(String name) {
        return new LocalFolder(path().resolve(name));
    }

    @Override
    public String toString() {
        return dir;
    }
}
