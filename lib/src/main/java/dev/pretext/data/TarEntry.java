package dev.pretext.data;

import java.io.Serializable;
import java.util.Locale;

/**
 * One regular file inside a tar archive, as {@link TarEntries} found it. Offsets count bytes from the start of the
 * outermost stream (for a member of a nested tar too), so a planner that scanned the headers once can later seek
 * there and read a member, or open an inner tar with {@link TarEntries#nested}, without reading what comes before.
 *
 * @param archive      the archive's name as given to the reader; for a nested tar, the outer member's {@link #source()}
 * @param name         the member's path inside the archive (ustar prefix, GNU long name and pax path applied)
 * @param size         data bytes
 * @param headerOffset where the member's first header block starts (a GNU long-name or pax block when it has one)
 * @param dataOffset   where its data starts
 */
public record TarEntry(String archive, String name, long size, long headerOffset, long dataOffset)
        implements Serializable {

    /** Lineage string {@code archive/name}, e.g. {@code train.tar/n01440764.tar/n01440764_18.JPEG}. */
    public String source() {
        return archive + "/" + name;
    }

    /** Whether the name ends with {@code .tar} (any case): such a member can be read as a nested archive. */
    public boolean isTar() {
        return name.toLowerCase(Locale.ROOT).endsWith(".tar");
    }

    /** The last path element of the name. */
    public String fileName() {
        return name.substring(name.lastIndexOf('/') + 1);
    }
}
