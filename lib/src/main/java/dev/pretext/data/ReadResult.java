package dev.pretext.data;

import java.io.Serializable;

/**
 * One record as a reader saw it: either a good image or a quarantined item, never both. Keeping
 * both in one stream lets a caller count "seen = good + quarantined" from a single pass.
 */
public record ReadResult(ImageRecord image, QuarantinedItem quarantined) implements Serializable {

    public ReadResult {
        if ((image == null) == (quarantined == null)) {
            throw new IllegalArgumentException("exactly one of image and quarantined must be set");
        }
    }

    public static ReadResult good(ImageRecord image) {
        return new ReadResult(image, null);
    }

    public static ReadResult bad(String source, String reason) {
        return new ReadResult(null, new QuarantinedItem(source, reason));
    }

    public boolean isGood() {
        return image != null;
    }
}
