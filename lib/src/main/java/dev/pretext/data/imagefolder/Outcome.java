package dev.pretext.data.imagefolder;

import java.io.Serializable;

import dev.pretext.data.ImageRecord;
import dev.pretext.data.QuarantinedItem;

/** What became of one input: a row of the images table, or a quarantined input with its reason. */
record Outcome(ImageRecord image, QuarantinedItem bad) implements Serializable {
    static Outcome good(ImageRecord r) {
        return new Outcome(r, null);
    }

    static Outcome bad(String source, String reason) {
        return new Outcome(null, new QuarantinedItem(source, reason));
    }

    boolean isGood() {
        return image != null;
    }
}
