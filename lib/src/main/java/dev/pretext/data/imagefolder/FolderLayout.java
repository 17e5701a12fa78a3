package dev.pretext.data.imagefolder;

import java.io.Serializable;
import java.util.List;

/**
 * The image-folder layout: {@code <split>/<class>/<file>} or a flat {@code <split>/<file>} whose
 * labels come from a CSV. The same rule places files of a folder and members of a tar, whose paths
 * may carry leading folders (a tar of {@code imagenet/train/n01440764/x.JPEG}): the first path
 * component that is a split name starts the layout. A path without one belongs to the default split
 * (a folder or tar of {@code <class>/<file>}, e.g. {@code --input /data/imagenet/train}).
 */
public record FolderLayout(String defaultSplit) implements Serializable {
    /** Folder names recognised as splits, in the order a table lists them. */
    public static final List<String> SPLITS = List.of("train", "val", "test", "unlabeled");

    public static boolean isSplit(String name) {
        return SPLITS.contains(name);
    }

    /** The placement of a path given with '/' separators; leading folders before the split name are dropped. */
    public Placement place(String path) {
        String[] parts = trimSlashes(path).split("/");
        int start = -1;
        for (int i = 0; i < parts.length - 1; i++) {
            if (isSplit(parts[i])) {
                start = i;
                break;
            }
        }
        String split;
        int from;
        if (start >= 0) {
            split = parts[start];
            from = start + 1;
        } else {
            split = defaultSplit;
            // a tar of <class>/<file> under one root folder: the class is the folder holding the file
            from = Math.max(0, parts.length - 2);
        }
        int rest = parts.length - from;
        String className = rest >= 2 ? parts[parts.length - 2] : null;
        String relative = split + "/" + (className == null ? "" : className + "/") + parts[parts.length - 1];
        return new Placement(split, className, relative);
    }

    private static String trimSlashes(String p) {
        String s = p.startsWith("./") ? p.substring(2) : p;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
