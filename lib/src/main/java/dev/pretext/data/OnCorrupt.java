package dev.pretext.data;

/** What a reader does with a bad record (label out of range, truncated trailing record). */
public enum OnCorrupt {
    /** Stop with a {@link dev.pretext.UserError} naming the file and record. */
    FAIL,
    /** Report the record as a {@link QuarantinedItem} and go on. */
    SKIP;

    /** Parses {@code fail} / {@code skip} (any case); anything else is a user error. */
    public static OnCorrupt parse(String value) {
        for (OnCorrupt p : values()) {
            if (p.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return p;
            }
        }
        throw new dev.pretext.UserError("on-corrupt policy '" + value + "' is not valid; use fail or skip");
    }
}
