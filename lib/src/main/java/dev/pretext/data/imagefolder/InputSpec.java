package dev.pretext.data.imagefolder;

import java.util.ArrayList;
import java.util.List;

import dev.pretext.UserError;

/**
 * One input of an image-folder ingest: {@code PATH} or {@code PATH=SPLIT}, the split given to files
 * outside any split folder of that input (ImageNet's flat validation tar:
 * {@code ILSVRC2012_img_val.tar=val}). Several inputs are separated by commas and go into one table
 * with one class index.
 *
 * @param path  folder or tar (any Hadoop path)
 * @param split the default split of this input
 */
record InputSpec(String path, String split) {

    /** Parses {@code PATH[=SPLIT][,PATH[=SPLIT]]...}; a suffix counts as a split only when it names one. */
    static List<InputSpec> parseList(String text, String defaultSplit) {
        if (text == null || text.isBlank()) {
            throw new UserError("input is empty; give an image folder or a tar of one (several: comma-separated)");
        }
        List<InputSpec> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw new UserError("input list '" + text + "' has an empty entry; give PATH[=SPLIT],PATH[=SPLIT]...");
            }
            int eq = p.lastIndexOf('=');
            if (eq > 0 && FolderLayout.isSplit(p.substring(eq + 1))) {
                out.add(new InputSpec(p.substring(0, eq), p.substring(eq + 1)));
            } else {
                out.add(new InputSpec(p, defaultSplit));
            }
        }
        return out;
    }
}
