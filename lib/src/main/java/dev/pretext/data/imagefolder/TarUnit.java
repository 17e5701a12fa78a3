package dev.pretext.data.imagefolder;

import java.io.Serializable;

import dev.pretext.data.TarEntry;

/**
 * One Spark task's share of a tar: a nested per-class tar (ILSVRC-2012 train), or the members of a
 * plain tar whose headers start in [{@code from}, {@code to}).
 *
 * @param nested    the inner tar (null for a range)
 * @param split     split of a nested tar's images
 * @param className class of a nested tar's images (its name without .tar)
 * @param from      first header offset of a range
 * @param to        end of a range (exclusive; Long.MAX_VALUE for the last)
 */
record TarUnit(TarEntry nested, String split, String className, long from, long to) implements Serializable {
    static TarUnit nested(TarEntry e, String split, String className) {
        return new TarUnit(e, split, className, e.dataOffset(), e.dataOffset() + e.size());
    }

    static TarUnit range(long from, long to) {
        return new TarUnit(null, null, null, from, to);
    }

    String key() {
        return nested != null ? nested.source() : "range@" + from;
    }
}
