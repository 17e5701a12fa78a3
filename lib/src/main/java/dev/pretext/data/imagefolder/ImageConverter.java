package dev.pretext.data.imagefolder;

import java.io.Serializable;

import dev.pretext.data.DecodedImage;
import dev.pretext.data.ImageDecoder;
import dev.pretext.data.ImageRecord;

/**
 * One input file's bytes to one images-table row: decode (any JPEG/PNG kind to 8-bit RGB, refusing
 * images over the pixel limit before decoding them), resize by the policy, re-encode. The label
 * comes from the class folder, or from the labels CSV in a flat folder.
 */
final class ImageConverter implements Serializable {
    private final ImageFolderSettings settings;
    private final ClassIndex classes;
    /** Labels of flat folders: by split, or under {@code *} for an explicit CSV that applies to every split. */
    private final java.util.Map<String, LabelsCsv> labels;

    ImageConverter(ImageFolderSettings settings, ClassIndex classes, java.util.Map<String, LabelsCsv> labels) {
        this.settings = settings;
        this.classes = classes;
        this.labels = labels;
    }

    /** @param source lineage (file URI, or tar path + member) */
    Outcome convert(byte[] bytes, Placement where, String source) {
        LabelsCsv csv = labels.getOrDefault("*", labels.get(where.split()));
        int label = labelOf(where, csv);
        if (label == -2) {
            return Outcome.bad(source, "no label: file '" + where.relative() + "' is in the flat folder '" + where.split()
                    + "' but not in the labels CSV" + (csv == null ? " (none given: set ingest.labels or put labels.csv in the folder)" : " " + csv.location()));
        }
        if (label == -3) {
            String cls = csv.classOf(where.relative());
            return Outcome.bad(source, "labels CSV gives class '" + cls + "', which is not a class folder of this dataset");
        }
        if (bytes.length == 0) {
            return Outcome.bad(source, "empty file (0 bytes)");
        }
        ImageDecoder.Result r = new ImageDecoder(settings.maxPixels()).decode(bytes, source);
        if (!r.isOk()) {
            return Outcome.bad(source, r.reason());
        }
        DecodedImage img = settings.resize().apply(r.image());
        byte[] data = settings.encoder().encode(img);
        String id = settings.name() + "/" + where.relative();
        return Outcome.good(new ImageRecord(id, where.split(), label, -1, img.height(), img.width(), 3,
                settings.encoder().encoding(), data, source));
    }

    /** The label; -1 for the unlabeled split, -2 when a flat file has none, -3 when the CSV names an unknown class. */
    private int labelOf(Placement where, LabelsCsv labels) {
        if ("unlabeled".equals(where.split())) {
            return -1;
        }
        if (where.className() != null) {
            return classes.labelOf(where.className());
        }
        String cls = labels == null ? null : labels.classOf(where.relative());
        if (cls == null) {
            return -2;
        }
        int l = classes.labelOf(cls);
        return l < 0 ? -3 : l;
    }
}
