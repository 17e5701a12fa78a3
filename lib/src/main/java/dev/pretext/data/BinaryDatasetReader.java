package dev.pretext.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

import dev.pretext.UserError;

/**
 * A reader of a fixed-record binary dataset (CIFAR-10, CIFAR-100, STL-10). Construction validates
 * the folder (files present, sizes whole numbers of records) so that bad input fails before any
 * pixels are read; reading then streams record ranges of one file at a time, so a caller can spread
 * files and ranges over Spark executors and no one holds a whole file in memory.
 *
 * <p>The reader is serialisable: ship it to executors and call {@link #read(DatasetFile, long, long)}
 * there.
 */
public abstract class BinaryDatasetReader implements Serializable {
    private static final int STREAM_BUFFER = 1 << 16;

    protected final InputFolder folder;
    protected final OnCorrupt onCorrupt;
    private final List<DatasetFile> files = new ArrayList<>();
    private final LinkedHashMap<String, Long> inputs = new LinkedHashMap<>();
    private final LinkedHashMap<String, Object> metadata = new LinkedHashMap<>();

    /**
     * @param folder            the dataset folder, or its parent holding the official sub-folder
     * @param officialSubfolder the folder name inside the official archive, e.g. {@code cifar-10-batches-bin}
     * @param required          files whose absence is an error
     */
    protected BinaryDatasetReader(InputFolder folder, OnCorrupt onCorrupt, String officialSubfolder,
                                  List<String> required) {
        this.onCorrupt = onCorrupt == null ? OnCorrupt.FAIL : onCorrupt;
        this.folder = resolve(folder, officialSubfolder, required);
    }

    /** Opens a reader by format name: {@code cifar10}, {@code cifar100} or {@code stl10}. */
    public static BinaryDatasetReader open(String format, InputFolder folder, OnCorrupt onCorrupt) {
        String f = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
        return switch (f) {
            case Cifar10Reader.FORMAT -> new Cifar10Reader(folder, onCorrupt);
            case Cifar100Reader.FORMAT -> new Cifar100Reader(folder, onCorrupt);
            case Stl10Reader.FORMAT -> new Stl10Reader(folder, onCorrupt);
            default -> throw new UserError("dataset format '" + format + "' is not known; use one of "
                    + Cifar10Reader.FORMAT + ", " + Cifar100Reader.FORMAT + ", " + Stl10Reader.FORMAT);
        };
    }

    /** Format name, e.g. {@code cifar10}; also the first part of every id. */
    public abstract String format();

    /** Human name for messages, e.g. {@code CIFAR-10}. */
    protected abstract String displayName();

    /** What the folder must contain, for messages. */
    protected abstract String expectedContents();

    /**
     * Turns one record into a result.
     *
     * @param record    the record bytes (reused between calls: copy what you keep)
     * @param labelByte the record's byte from the parallel label file, or -1 when there is none
     */
    protected abstract ReadResult decode(DatasetFile file, long index, byte[] record, int labelByte);

    /** Whether records of {@code file} carry labels that can be out of range (else only a truncated tail can be bad). */
    public boolean hasLabels(DatasetFile file) {
        return true;
    }

    /** The data files, in read order (ids count across files of a split in this order). */
    public List<DatasetFile> files() {
        return Collections.unmodifiableList(files);
    }

    /** Every file the dataset was read from (data, labels, metadata) with its size, for manifests. */
    public Map<String, Long> inputs() {
        return Collections.unmodifiableMap(inputs);
    }

    /** Side information kept for the manifest, e.g. {@code class_names}, {@code fold_indices}. */
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** The folder actually read (the official sub-folder when the parent was given). */
    public InputFolder folder() {
        return folder;
    }

    public OnCorrupt onCorrupt() {
        return onCorrupt;
    }

    /** Records a full read sees, over all files: good plus quarantined. */
    public long recordsSeen() {
        return files.stream().mapToLong(DatasetFile::seen).sum();
    }

    /** Streams the whole dataset, file after file. */
    public CloseableIterator<ReadResult> readAll() {
        return new Concat(files.iterator());
    }

    /** Streams one whole file. */
    public CloseableIterator<ReadResult> read(DatasetFile file) {
        return read(file, 0, file.seen());
    }

    /**
     * Streams records {@code [from, to)} of one file; {@code to} may reach {@link DatasetFile#seen()}
     * to include a truncated trailing record (quarantined).
     */
    public CloseableIterator<ReadResult> read(DatasetFile file, long from, long to) {
        if (from < 0 || to > file.seen() || from > to) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") outside [0, " + file.seen()
                    + ") of " + file.file());
        }
        return new RangeIterator(file, from, to);
    }

    // ---- planning helpers for subclasses' constructors ----

    /** Plans a data file: checks it is present and a whole number of records long. */
    protected DatasetFile planFile(String split, String name, String labelFile, int recordBytes, long firstIndex) {
        long size = sizeOf(name);
        if (size < 0) {
            throw missing(name);
        }
        long records = size / recordBytes;
        long partial = size % recordBytes;
        if (partial != 0 && onCorrupt == OnCorrupt.FAIL) {
            throw new UserError(displayName() + " file " + where(name) + " is " + size + " bytes, which is not a whole "
                    + "number of " + recordBytes + "-byte records (" + records + " whole records and " + partial
                    + " bytes over); the file is truncated or not a " + displayName() + " file");
        }
        DatasetFile f = new DatasetFile(split, name, labelFile, size, recordBytes, records, partial, firstIndex);
        files.add(f);
        inputs.put(name, size);
        return f;
    }

    /** Records a file in {@link #inputs()} (label files, metadata). */
    protected void addInput(String name, long size) {
        inputs.put(name, size);
    }

    protected void putMetadata(String key, Object value) {
        metadata.put(key, value);
    }

    /** Size of a file in the dataset folder, or -1 when absent. */
    protected long sizeOf(String name) {
        try {
            return folder.size(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + where(name), e);
        }
    }

    /** The non-blank lines of a small text file, or null when the file is absent. */
    protected List<String> readLines(String name) {
        long size = sizeOf(name);
        if (size < 0) {
            return null;
        }
        addInput(name, size);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(folder.open(name, 0), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line.trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + where(name), e);
        }
        return lines;
    }

    protected UserError missing(String name) {
        return new UserError(displayName() + " file " + name + " is missing from " + folder.location()
                + "; the folder must contain " + expectedContents());
    }

    protected String where(String name) {
        return folder.location() + "/" + name;
    }

    /** Id of record {@code index} of a file: {@code <format>/<split>/<6-digit index in split>}. */
    protected String id(DatasetFile file, long index) {
        return String.format(Locale.ROOT, "%s/%s/%06d", format(), file.split(), file.firstIndex() + index);
    }

    protected static String source(DatasetFile file, long index) {
        return file.file() + "#" + index;
    }

    /** A bad record: quarantined under SKIP, an error under FAIL. */
    protected ReadResult corrupt(DatasetFile file, long index, String reason) {
        if (onCorrupt == OnCorrupt.FAIL) {
            throw new UserError(displayName() + " record " + index + " of " + where(file.file()) + ": " + reason);
        }
        return ReadResult.bad(source(file, index), reason);
    }

    private InputFolder resolve(InputFolder given, String officialSubfolder, List<String> required) {
        try {
            if (!given.exists() || !given.isDirectory()) {
                throw new UserError(displayName() + " input folder " + given.location() + " does not exist or is not a "
                        + "folder; it must contain " + expectedContents());
            }
            List<String> names = given.fileNames();
            boolean hasAny = required.stream().anyMatch(names::contains);
            if (!hasAny && given.folderNames().contains(officialSubfolder)) {
                // the user pointed at the folder the archive was unpacked into
                return resolve(given.child(officialSubfolder), officialSubfolder, required);
            }
            if (names.isEmpty() && given.folderNames().isEmpty()) {
                throw new UserError(displayName() + " input folder " + given.location() + " is empty; it must contain "
                        + expectedContents());
            }
            return given;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + given.location(), e);
        }
    }

    private final class RangeIterator implements CloseableIterator<ReadResult> {
        private final DatasetFile file;
        private final long to;
        private final byte[] buf;
        private long next;
        private InputStream in;
        private InputStream labels;

        RangeIterator(DatasetFile file, long from, long to) {
            this.file = file;
            this.to = to;
            this.next = from;
            this.buf = new byte[file.recordBytes()];
            if (from < to) {
                try {
                    in = new BufferedInputStream(folder.open(file.file(), from * file.recordBytes()), STREAM_BUFFER);
                    if (file.labelFile() != null) {
                        labels = new BufferedInputStream(folder.open(file.labelFile(), from), 4096);
                    }
                } catch (IOException e) {
                    close();
                    throw new UncheckedIOException("cannot open " + where(file.file()), e);
                }
            }
        }

        @Override
        public boolean hasNext() {
            if (next >= to) {
                close();
                return false;
            }
            return true;
        }

        @Override
        public ReadResult next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            long index = next++;
            try {
                if (index >= file.records()) {
                    // the truncated tail: report it without reading past the end
                    return corrupt(file, index, "truncated record: the file ends " + file.partialBytes() + " bytes into it,"
                            + " a record is " + file.recordBytes() + " bytes");
                }
                int n = in.readNBytes(buf, 0, buf.length);
                if (n != buf.length) {
                    throw new UserError(displayName() + " file " + where(file.file()) + " ended inside record " + index
                            + " (it was " + file.sizeBytes() + " bytes when planned; was it changed while reading?)");
                }
                int label = -1;
                if (labels != null) {
                    label = labels.read();
                    if (label < 0) {
                        throw new UserError(displayName() + " label file " + where(file.labelFile()) + " ended before record "
                                + index);
                    }
                }
                return decode(file, index, buf, label);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("cannot read " + where(file.file()) + " record " + index, e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            closeQuietly(in);
            closeQuietly(labels);
            in = null;
            labels = null;
        }
    }

    private final class Concat implements CloseableIterator<ReadResult> {
        private final Iterator<DatasetFile> rest;
        private CloseableIterator<ReadResult> current;

        Concat(Iterator<DatasetFile> rest) {
            this.rest = rest;
        }

        @Override
        public boolean hasNext() {
            while (current == null || !current.hasNext()) {
                if (!rest.hasNext()) {
                    return false;
                }
                current = read(rest.next());
            }
            return true;
        }

        @Override
        public ReadResult next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }

        @Override
        public void close() {
            if (current != null) {
                current.close();
            }
        }
    }

    private static void closeQuietly(InputStream s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing useful to do: the data was read or the read already failed
            }
        }
    }
}
