package dev.pretext.data.imagefolder;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Class name to label index: the class folder names of every split, sorted (as torchvision's
 * ImageFolder does), so that the same class gets the same label in train and val. The list is
 * stored in the table's manifest ({@code extra.classes}).
 */
public final class ClassIndex implements Serializable {
    private final List<String> names;
    private final Map<String, Integer> index;

    private ClassIndex(List<String> sortedNames) {
        this.names = List.copyOf(sortedNames);
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            m.put(names.get(i), i);
        }
        this.index = m;
    }

    /** The index of the distinct names given, sorted. */
    public static ClassIndex of(Collection<String> names) {
        return new ClassIndex(new ArrayList<>(new TreeSet<>(names)));
    }

    /** The label of a class, or -1 when it is not a known class. */
    public int labelOf(String className) {
        Integer i = index.get(className);
        return i == null ? -1 : i;
    }

    public List<String> names() {
        return Collections.unmodifiableList(names);
    }

    public int size() {
        return names.size();
    }
}
