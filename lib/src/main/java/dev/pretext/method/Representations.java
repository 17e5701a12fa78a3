package dev.pretext.method;

import dev.pretext.describe.Teacher;
import dev.pretext.eval.PixelNormalization;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The per-image vectors a method reads besides the pixels, as columns of a descriptors table
 * ({@code describe} stage): handcrafted descriptors by name ({@code hog}, {@code lsd}, ...), then
 * teacher embeddings by teacher spec ({@code MODEL[:layer][=name]}, column {@code teacher_<name>}).
 * The pipeline computes them (or reuses {@code data.descriptors}) and joins them to the images by id.
 */
public record Representations(List<String> descriptors, List<String> teachers) implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final Representations NONE = new Representations(List.of(), List.of());
    /** Only used to parse a teacher spec into its column name (the column does not depend on it). */
    private static final PixelNormalization ANY = PixelNormalization.of(new float[] {0, 0, 0}, new float[] {1, 1, 1});

    public Representations {
        descriptors = List.copyOf(descriptors);
        teachers = List.copyOf(teachers);
        List<String> cols = columns(descriptors, teachers);
        if (new LinkedHashSet<>(cols).size() != cols.size()) {
            throw new dev.pretext.UserError("a representation is listed twice: " + cols);
        }
    }

    public boolean isEmpty() {
        return descriptors.isEmpty() && teachers.isEmpty();
    }

    /** The table columns, in the order {@link PretextMethod#assemble(float[][], float[][], int, int, int)} receives them. */
    public List<String> columns() {
        return columns(descriptors, teachers);
    }

    /** The column a teacher spec fills ({@code teacher_<name>}). */
    public static String teacherColumn(String spec) {
        return Teacher.parse(spec, ANY, 1).column();
    }

    private static List<String> columns(List<String> descriptors, List<String> teachers) {
        List<String> out = new ArrayList<>(descriptors);
        for (String t : teachers) {
            out.add(teacherColumn(t));
        }
        return out;
    }
}
