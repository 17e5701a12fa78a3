package dev.pretext.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Streaming reader of a tar archive: walks the members of an {@link InputStream} in order, without unpacking to
 * disk and without reading the data of members nobody asks for ({@link InputStream#skip} where the stream supports
 * it).
 *
 * <p>Reads POSIX ustar (name prefix), GNU tar (long names in {@code 'L'} members, base-256 sizes for members over
 * 8 GB) and pax ({@code 'x'} headers: {@code path} and {@code size}). Only regular files are returned; directories,
 * links, devices, FIFOs and unknown types are passed over. Every header's checksum is verified.
 *
 * <p>Damage is reported as a {@link TarException} with a {@link TarException.Kind}, never as a short read: a stream
 * that ends inside a member's declared data names that member; one that ends where a header should be names the
 * offset and the last member; a header whose checksum does not match names its offset. After such an error the
 * rest of the stream cannot be trusted and reading stops there. (A stream whose {@code skip} silently passes its
 * end, as {@code FileInputStream} does, shows a truncated member only at the next header, as "ends without the
 * end-of-archive marker" naming that member.)
 *
 * <p>A member that is itself a tar (the ILSVRC-2012 train layout: one tar per class inside an outer tar) is read
 * with {@link #openNested()}; its members' offsets stay offsets in the outer stream. Not thread-safe: one reader per
 * stream.
 */
public final class TarEntries implements Closeable {

    /** A damaged or unreadable archive, or a member over a size limit. */
    public static final class TarException extends IOException {
        private static final long serialVersionUID = 1L;

        public enum Kind {
            /** The stream ends inside a header or member, or without the end-of-archive marker. */
            TRUNCATED,
            /** A header's checksum does not match its bytes (not a tar, or a corrupt one). */
            BAD_CHECKSUM,
            /** A header field cannot be read (size not octal, bad pax record, ...). */
            BAD_HEADER,
            /** A member is larger than the caller's limit ({@link #readAll}); the archive itself may be fine. */
            TOO_LARGE
        }

        private final Kind kind;
        private final String archive;
        private final String member;
        private final long offset;

        TarException(Kind kind, String archive, String member, long offset, String message) {
            super("tar '" + archive + "': " + message);
            this.kind = kind;
            this.archive = archive;
            this.member = member;
            this.offset = offset;
        }

        public Kind kind() {
            return kind;
        }

        public String archive() {
            return archive;
        }

        /** The member at fault, or null when the damage is in a header before any member is known. */
        public String member() {
            return member;
        }

        /** Stream offset where the damage was found. */
        public long offset() {
            return offset;
        }
    }

    private static final int BLOCK = 512;
    /** GNU long names and pax headers are read into memory: more than this is not a name but damage. */
    private static final int MAX_EXTENDED_HEADER = 1 << 20;

    private final InputStream in;
    private final String archive;
    private final byte[] header = new byte[BLOCK];

    private long pos;
    private TarEntry current;
    private int generation;
    private long remaining;
    private long padding;
    private String lastMember;
    private boolean sawHeader;
    private boolean ended;

    /** Reads the archive {@code archive} (a name for messages and lineage) from the start of {@code in}. */
    public TarEntries(InputStream in, String archive) {
        this(in, archive, 0);
    }

    /** Like {@link #TarEntries(InputStream, String)} for a stream that starts at {@code baseOffset} of a larger one. */
    public TarEntries(InputStream in, String archive, long baseOffset) {
        this.in = in;
        this.archive = archive;
        this.pos = baseOffset;
    }

    /**
     * Reads the nested tar {@code entry} from {@code atData}, a stream positioned at {@code entry.dataOffset()} of
     * its outer archive (e.g. a file seeked there): reads stop at the member's declared size, and a stream that ends
     * before it is reported as that member truncated. Closing the result does not close {@code atData}.
     */
    public static TarEntries nested(InputStream atData, TarEntry entry) {
        TarEntries outer = new TarEntries(atData, entry.archive(), entry.dataOffset());
        outer.current = entry;
        outer.remaining = entry.size();
        outer.sawHeader = true;
        outer.ended = true;
        return outer.openNested();
    }

    /** The archive name used in messages. */
    public String archive() {
        return archive;
    }

    /** Offset in the outermost stream of the next byte this reader will consume. */
    public long position() {
        return pos;
    }

    /** The member returned by the last {@link #next()}, or null. */
    public TarEntry current() {
        return current;
    }

    /**
     * The next regular file, or null at the end of the archive. Whatever is unread of the current member is
     * skipped first.
     */
    public TarEntry next() throws IOException {
        if (current != null) {
            skipBytes(remaining, current.name(), current.size() - remaining);
            remaining = 0;
            skipPadding();
            current = null;
            generation++;
        }
        if (ended) {
            return null;
        }
        String longName = null;
        Map<String, String> pax = null;
        long firstHeader = -1;
        while (true) {
            long headerAt = pos;
            int n = readBlock();
            if (n == 0) {
                throw endedEarly(headerAt);
            }
            if (n < BLOCK) {
                throw new TarException(TarException.Kind.TRUNCATED, archive, lastMember, headerAt,
                        "the stream ends inside the header block at offset " + headerAt + afterLast());
            }
            if (allZero(header)) {
                if (longName != null || pax != null) {
                    throw new TarException(TarException.Kind.BAD_HEADER, archive, null, headerAt,
                            "the extended header at offset " + firstHeader + " is followed by the end of the archive"
                                    + " instead of a member");
                }
                ended = true;
                readBlock(); // the second zero block; many writers omit it, so its absence is not damage
                return null;
            }
            verifyChecksum(headerAt);
            sawHeader = true;
            if (firstHeader < 0) {
                firstHeader = headerAt;
            }
            char type = (char) header[156];
            boolean extended = type == 'L' || type == 'K' || type == 'x' || type == 'g';
            long size = !extended && pax != null && pax.containsKey("size")
                    ? paxSize(pax.get("size"), headerAt) : size(header, headerAt);
            String name = pax != null && pax.containsKey("path") ? pax.get("path")
                    : longName != null ? longName : headerName();
            switch (type) {
                case 'L' -> {
                    longName = stripNuls(new String(readExtended(size, headerAt, "GNU long name"),
                            StandardCharsets.UTF_8));
                    continue;
                }
                case 'x' -> {
                    Map<String, String> records = parsePax(readExtended(size, headerAt, "pax header"), headerAt);
                    if (pax == null) {
                        pax = records;
                    } else {
                        pax.putAll(records);
                    }
                    continue;
                }
                case '0', '\0', '7' -> {
                    if (!name.endsWith("/")) {
                        current = new TarEntry(archive, name, size, firstHeader, pos);
                        remaining = size;
                        padding = pad(size);
                        lastMember = name;
                        return current;
                    }
                    skipMember(size, name); // old tars mark directories by a trailing slash alone
                }
                // Links, devices, directories and FIFOs carry no data whatever their size field says (as GNU
                // tar and Python's tarfile read them); other types (sparse, volume labels, 'g', 'K') are skipped
                // by their size.
                case '1', '2', '3', '4', '5', '6' -> {
                }
                default -> {
                    if (type == 'S') {
                        skipSparseExtensions(headerAt);
                    }
                    skipMember(size, name);
                }
            }
            longName = null;
            pax = null;
            firstHeader = -1;
        }
    }

    /**
     * The current member's data from where it was left, ending at its declared size; a stream that ends earlier
     * makes the read throw a {@link TarException} naming the member. Closing it does nothing; it stops working when
     * {@link #next()} moves on.
     */
    public InputStream stream() {
        if (current == null) {
            throw new IllegalStateException("tar '" + archive + "': no current member; call next() first");
        }
        return new MemberStream(generation);
    }

    /**
     * The rest of the current member's data as an array; a member over {@code maxBytes} raises a
     * {@link TarException.Kind#TOO_LARGE} before anything is read, after which {@link #next()} can go on.
     */
    public byte[] readAll(long maxBytes) throws IOException {
        if (current == null) {
            throw new IllegalStateException("tar '" + archive + "': no current member; call next() first");
        }
        if (remaining > maxBytes || remaining > Integer.MAX_VALUE - 8) {
            throw new TarException(TarException.Kind.TOO_LARGE, archive, current.name(), current.dataOffset(),
                    "member '" + current.name() + "' has " + remaining + " bytes, over the limit of "
                            + Math.min(maxBytes, Integer.MAX_VALUE - 8));
        }
        byte[] data = new byte[(int) remaining];
        InputStream s = stream();
        int off = 0;
        while (off < data.length) {
            int n = s.read(data, off, data.length - off);
            if (n < 0) {
                break; // cannot happen: MemberStream throws on a short stream
            }
            off += n;
        }
        return data;
    }

    /**
     * The current member, which must be unread, as a tar archive of its own named {@link TarEntry#source()}. Its
     * reads go through this reader, so truncation of the outer member is reported as such.
     */
    public TarEntries openNested() {
        if (current == null) {
            throw new IllegalStateException("tar '" + archive + "': no current member; call next() first");
        }
        if (remaining != current.size()) {
            throw new IllegalStateException("tar '" + archive + "': member '" + current.name()
                    + "' was partly read; a nested archive must start at its first byte");
        }
        return new TarEntries(stream(), current.source(), current.dataOffset());
    }

    /** Closes the underlying stream (for a nested archive: nothing, the outer reader owns it). */
    @Override
    public void close() throws IOException {
        in.close();
    }

    // ---- reading the stream

    private int readBlock() throws IOException {
        int off = 0;
        while (off < BLOCK) {
            int n = in.read(header, off, BLOCK - off);
            if (n < 0) {
                break;
            }
            off += n;
        }
        pos += off;
        return off;
    }

    /** Skips n bytes of {@code member}, {@code done} of which were consumed before; without reading where possible. */
    private void skipBytes(long n, String member, long done) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s > 0) {
                left -= s;
                pos += s;
                continue;
            }
            // skip() may return 0 without being at the end: one read tells the two apart.
            if (in.read() < 0) {
                throw truncated(member, done + (n - left));
            }
            left--;
            pos++;
        }
    }

    private void skipPadding() throws IOException {
        long left = padding;
        padding = 0;
        while (left > 0) {
            long s = in.skip(left);
            if (s > 0) {
                left -= s;
                pos += s;
            } else if (in.read() < 0) {
                throw new TarException(TarException.Kind.TRUNCATED, archive, lastMember, pos,
                        "the stream ends at offset " + pos + " inside the padding after member '" + lastMember
                                + "', before the end-of-archive marker");
            } else {
                left--;
                pos++;
            }
        }
    }

    private void skipMember(long size, String name) throws IOException {
        skipBytes(size, name, 0);
        padding = pad(size);
        String saved = lastMember;
        lastMember = name;
        skipPadding();
        lastMember = saved;
    }

    /** Old GNU sparse members may carry extra map blocks between header and data, outside their size. */
    private void skipSparseExtensions(long headerAt) throws IOException {
        boolean more = header[482] != 0;
        while (more) {
            long at = pos;
            if (readBlock() < BLOCK) {
                throw new TarException(TarException.Kind.TRUNCATED, archive, null, at,
                        "the stream ends inside the sparse map of the member whose header is at offset " + headerAt);
            }
            more = header[504] != 0;
        }
    }

    private byte[] readExtended(long size, long headerAt, String what) throws IOException {
        if (size > MAX_EXTENDED_HEADER) {
            throw new TarException(TarException.Kind.BAD_HEADER, archive, null, headerAt,
                    what + " at offset " + headerAt + " declares " + size + " bytes; at most " + MAX_EXTENDED_HEADER
                            + " are accepted");
        }
        byte[] data = new byte[(int) size];
        int off = 0;
        while (off < data.length) {
            int n = in.read(data, off, data.length - off);
            if (n < 0) {
                pos += off;
                throw new TarException(TarException.Kind.TRUNCATED, archive, null, pos, "the " + what
                        + " at offset " + headerAt + " is truncated: the stream ends after " + off + " of its " + size
                        + " bytes");
            }
            off += n;
        }
        pos += size;
        padding = pad(size);
        skipPadding();
        return data;
    }

    private TarException truncated(String member, long got) {
        return new TarException(TarException.Kind.TRUNCATED, archive, member, pos,
                "member '" + member + "' is truncated: the stream ends after " + got + " of its "
                        + declaredSize(member) + " bytes, at offset " + pos);
    }

    private String declaredSize(String member) {
        return current != null && current.name().equals(member) ? String.valueOf(current.size()) : "declared";
    }

    private TarException endedEarly(long at) {
        if (!sawHeader) {
            return new TarException(TarException.Kind.TRUNCATED, archive, null, at,
                    "no tar header at offset " + at + ": the stream is empty");
        }
        return new TarException(TarException.Kind.TRUNCATED, archive, lastMember, at,
                "no header at offset " + at + ": the stream ends there (or before, if a skip passed its end)"
                        + " without the end-of-archive marker" + afterLast());
    }

    private String afterLast() {
        return lastMember == null ? "" : "; the last member, '" + lastMember + "', may be incomplete";
    }

    private static long pad(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    /** The current member's data stream; stale once the reader has moved to another member. */
    private final class MemberStream extends InputStream {
        private final int gen;

        MemberStream(int gen) {
            this.gen = gen;
        }

        private void check() {
            if (gen != generation) {
                throw new IllegalStateException("tar '" + archive + "': this member stream is stale; the reader"
                        + " has moved on to another member");
            }
        }

        @Override
        public int read() throws IOException {
            check();
            if (remaining == 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw truncated(current.name(), current.size() - remaining);
            }
            remaining--;
            pos++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            check();
            if (len == 0) {
                return 0;
            }
            if (remaining == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw truncated(current.name(), current.size() - remaining);
            }
            remaining -= n;
            pos += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            check();
            long m = Math.min(Math.max(0, n), remaining);
            skipBytes(m, current.name(), current.size() - remaining);
            remaining -= m;
            return m;
        }

        @Override
        public int available() throws IOException {
            check();
            return (int) Math.min(in.available(), remaining);
        }

        @Override
        public void close() {
            // The archive's stream outlives its members.
        }
    }

    // ---- header fields

    private void verifyChecksum(long headerAt) throws TarException {
        long stored;
        try {
            stored = octal(header, 148, 8, headerAt, "checksum");
        } catch (TarException e) {
            stored = -1; // not a number: reported below as a mismatch, the usual sign of "not a tar at all"
        }
        long unsigned = 0, signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += b;
        }
        // Some old writers summed signed bytes; both sums are accepted, as GNU tar does.
        if (stored != unsigned && stored != signed) {
            throw new TarException(TarException.Kind.BAD_CHECKSUM, archive, null, headerAt,
                    "header at offset " + headerAt + " has a bad checksum (stored '"
                            + printable(header, 148, 8).replace("\\x00", "").trim() + "', computed "
                            + Long.toOctalString(unsigned) + " octal)" + (sawHeader ? "; the archive is corrupt there"
                            : "; this is not a tar archive, or its first header is corrupt"));
        }
    }

    private long size(byte[] h, long headerAt) throws TarException {
        if ((h[124] & 0x80) != 0) {
            // GNU base-256: a set top bit, then a big-endian two's-complement number in the rest of the field.
            if ((h[124] & 0x40) != 0) {
                throw badHeader(headerAt, "size field is negative (base-256)");
            }
            long v = h[124] & 0x3f;
            for (int i = 125; i < 136; i++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw badHeader(headerAt, "size field (base-256) is too large");
                }
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        return octal(h, 124, 12, headerAt, "size");
    }

    private long octal(byte[] h, int off, int len, long headerAt, String field) throws TarException {
        int i = off, end = off + len;
        while (i < end && (h[i] == ' ' || h[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        for (; i < end && h[i] != ' ' && h[i] != 0; i++) {
            if (h[i] < '0' || h[i] > '7' || v > (Long.MAX_VALUE >> 3)) {
                throw badHeader(headerAt, field + " field '" + printable(h, off, len) + "' is not an octal number");
            }
            v = (v << 3) | (h[i] - '0');
            digits++;
        }
        for (; i < end; i++) {
            if (h[i] != ' ' && h[i] != 0) {
                throw badHeader(headerAt, field + " field '" + printable(h, off, len) + "' is not an octal number");
            }
        }
        if (digits == 0 && field.equals("checksum")) {
            throw badHeader(headerAt, "empty checksum field");
        }
        return v;
    }

    private TarException badHeader(long headerAt, String what) {
        return new TarException(TarException.Kind.BAD_HEADER, archive, null, headerAt,
                "header at offset " + headerAt + ": " + what);
    }

    private static String printable(byte[] h, int off, int len) {
        StringBuilder s = new StringBuilder();
        for (int i = off; i < off + len; i++) {
            int b = h[i] & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return s.toString();
    }

    private String headerName() {
        String name = cString(header, 0, 100);
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0;
        if (ustar) {
            // POSIX ustar only: GNU's "ustar  " headers use these bytes for other fields.
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) {
                return prefix + "/" + name;
            }
        }
        return name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static String stripNuls(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == 0) {
            end--;
        }
        return s.substring(0, end);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** pax records: "LEN key=value\n", LEN counting the whole record in bytes. */
    private Map<String, String> parsePax(byte[] data, long headerAt) throws TarException {
        Map<String, String> records = new HashMap<>();
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) {
                break; // trailing NULs
            }
            int sp = i;
            int len = 0;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && len < MAX_EXTENDED_HEADER) {
                len = len * 10 + (data[sp++] - '0');
            }
            if (sp >= data.length || data[sp] != ' ' || len <= sp - i || i + len > data.length
                    || data[i + len - 1] != '\n') {
                throw badHeader(headerAt, "pax header has a malformed record at byte " + i);
            }
            int eq = sp + 1;
            while (eq < i + len - 1 && data[eq] != '=') {
                eq++;
            }
            if (eq >= i + len - 1) {
                throw badHeader(headerAt, "pax header record at byte " + i + " has no '='");
            }
            String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            String value = new String(data, eq + 1, i + len - 1 - (eq + 1), StandardCharsets.UTF_8);
            records.put(key, value);
            i += len;
        }
        return records;
    }

    private long paxSize(String value, long headerAt) throws TarException {
        try {
            long v = Long.parseLong(value.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw badHeader(headerAt, "pax size '" + value + "' is not a non-negative whole number");
        }
    }
}
