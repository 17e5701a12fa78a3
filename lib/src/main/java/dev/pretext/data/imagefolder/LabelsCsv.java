package dev.pretext.data.imagefolder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import dev.pretext.UserError;

/**
 * The labels of a flat folder (ImageNet's {@code val/}): lines {@code file,class} where file is the
 * file's base name and class a class folder name (e.g. {@code ILSVRC2012_val_00000001.JPEG,n01751748}).
 * A first line whose second field is {@code class} or {@code label} is a header. Kaggle's ImageNet
 * {@code LOC_val_solution.csv} is read as it is: header {@code ImageId,PredictionString}, the class
 * is the first word of the second field, and files match with or without their extension. It is
 * read on the driver and shipped to the executors: 50,000 short entries for ImageNet's validation set.
 */
public final class LabelsCsv implements Serializable {
    private final String location;
    private final Map<String, String> classOf;

    private LabelsCsv(String location, Map<String, String> classOf) {
        this.location = location;
        this.classOf = classOf;
    }

    public static LabelsCsv parse(InputStream in, String location) throws IOException {
        Map<String, String> m = new HashMap<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        boolean kaggle = false;
        while ((line = r.readLine()) != null) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (n == 1 && t.replace(" ", "").equalsIgnoreCase("ImageId,PredictionString")) {
                kaggle = true;
                continue;
            }
            String[] f = t.split(",", -1);
            if (kaggle && f.length == 2 && !f[1].isBlank()) {
                f[1] = f[1].strip().split("\\s+")[0];
            }
            if (f.length != 2 || f[0].isBlank() || f[1].isBlank()) {
                throw new UserError("labels CSV " + location + ", line " + n + ": expected 'file,class', got '" + t + "'");
            }
            String file = stem(baseName(f[0].strip()));
            String cls = f[1].strip();
            if (n == 1 && (cls.equalsIgnoreCase("class") || cls.equalsIgnoreCase("label"))) {
                continue;
            }
            String old = m.put(file, cls);
            if (old != null && !old.equals(cls)) {
                throw new UserError("labels CSV " + location + ", line " + n + ": file '" + file + "' is listed twice, as "
                        + old + " and " + cls);
            }
        }
        if (m.isEmpty()) {
            throw new UserError("labels CSV " + location + " has no 'file,class' lines");
        }
        return new LabelsCsv(location, m);
    }

    /** The class of a file (by base name, extension ignored), or null when the CSV does not list it. */
    public String classOf(String fileName) {
        return classOf.get(stem(baseName(fileName)));
    }

    public Collection<String> classes() {
        return classOf.values();
    }

    public String location() {
        return location;
    }

    /** A name without its extension: the CSV and the files may disagree on it (Kaggle lists none). */
    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String baseName(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? p : p.substring(i + 1);
    }
}
