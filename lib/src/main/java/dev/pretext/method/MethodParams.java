package dev.pretext.method;

import dev.pretext.UserError;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A method's own settings, {@code method.<name>.*}, with typed, validated access: a bad value is a
 * {@link UserError} naming the full key and what is allowed, and a key the method does not declare
 * is refused with the list of those it does (so a typo is never silently ignored).
 */
public final class MethodParams implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String method;
    private final Map<String, Object> values;

    public MethodParams(String method, Map<String, Object> values) {
        this.method = method;
        this.values = new LinkedHashMap<>(values == null ? Map.of() : values);
    }

    public static MethodParams empty(String method) {
        return new MethodParams(method, Map.of());
    }

    /** A copy with {@code key} set (tests and the bench use it to vary one setting). */
    public MethodParams with(String key, Object value) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        v.put(key, value);
        return new MethodParams(method, v);
    }

    public Map<String, Object> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }

    private String full(String key) {
        return "method." + method + "." + key;
    }

    /** Fails on a key outside {@code declared}. */
    public void checkKeys(List<MethodKey> declared) {
        TreeSet<String> names = new TreeSet<>();
        declared.forEach(k -> names.add(k.name()));
        for (String k : values.keySet()) {
            if (!names.contains(k)) {
                throw new UserError("unknown config key '" + full(k) + "'; method " + method + " has "
                        + (names.isEmpty() ? "no keys of its own" : "the keys " + String.join(", ", names)));
            }
        }
    }

    private Object required(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new UserError("config key '" + full(key) + "' is required (its default lives in pretext/methods/"
                    + method + ".conf)");
        }
        return v;
    }

    public double dbl(String key, double lo, double hi) {
        Object v = required(key);
        if (!(v instanceof Number n)) {
            throw new UserError("config key '" + full(key) + "': '" + v + "' is not a number in [" + lo + ", " + hi + "]");
        }
        double d = n.doubleValue();
        if (!(d >= lo && d <= hi)) {
            throw new UserError("config key '" + full(key) + "': " + d + " is out of range; allowed [" + lo + ", " + hi + "]");
        }
        return d;
    }

    public int integer(String key, int lo, int hi) {
        Object v = required(key);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new UserError("config key '" + full(key) + "': '" + v + "' is not an integer in [" + lo + ", " + hi + "]");
        }
        long l = n.longValue();
        if (l < lo || l > hi) {
            throw new UserError("config key '" + full(key) + "': " + l + " is out of range; allowed [" + lo + ", " + hi + "]");
        }
        return (int) l;
    }

    /**
     * A list of {@code n} probabilities, one per view; an empty list (the default) means "the
     * {@code augment.*} value for every view" and returns null.
     */
    public double[] perView(String key, int n) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> l)) {
            throw new UserError("config key '" + full(key) + "': '" + v + "' is not a list (one probability per view,"
                    + " or [] for the augment.* value)");
        }
        if (l.isEmpty()) {
            return null;
        }
        if (l.size() != n) {
            throw new UserError("config key '" + full(key) + "': " + l.size() + " values for " + n
                    + " views; give one per view, or []");
        }
        double[] out = new double[n];
        List<Object> items = new ArrayList<>(l);
        for (int i = 0; i < n; i++) {
            if (!(items.get(i) instanceof Number x) || !(x.doubleValue() >= 0 && x.doubleValue() <= 1)) {
                throw new UserError("config key '" + full(key) + "': value " + (i + 1) + " (" + items.get(i)
                        + ") is not a probability in [0, 1]");
            }
            out[i] = ((Number) items.get(i)).doubleValue();
        }
        return out;
    }
    /** A string, one of {@code allowed} (compared case-insensitively; returned as listed). */
    /** true or false (also given as the strings "true" / "false", as --set gives them). */
    public boolean bool(String key) {
        Object v = required(key);
        if (v instanceof Boolean b) {
            return b;
        }
        String str = String.valueOf(v).trim();
        if (str.equalsIgnoreCase("true") || str.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(str);
        }
        throw new UserError("config key '" + full(key) + "': '" + v + "' is not true or false");
    }

    public String choice(String key, List<String> allowed) {
        Object v = required(key);
        String str = String.valueOf(v).trim();
        for (String a : allowed) {
            if (a.equalsIgnoreCase(str)) {
                return a;
            }
        }
        throw new UserError("config key '" + full(key) + "': '" + v + "' is not one of " + String.join(", ", allowed));
    }

    /** A non-empty string. */
    public String string(String key) {
        Object v = required(key);
        if (v instanceof List || v instanceof Map || String.valueOf(v).isBlank()) {
            throw new UserError("config key '" + full(key) + "' must be a non-empty string, got '" + v + "'");
        }
        return String.valueOf(v).trim();
    }

    /**
     * A list of names: a list, or a comma-separated string (as {@code --set key=a,b,c} gives); each
     * one of {@code allowed} when that is not null; no name twice. May be empty.
     */
    public List<String> names(String key, List<String> allowed) {
        Object v = required(key);
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x).trim()));
        } else {
            for (String part : String.valueOf(v).split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        for (String n : out) {
            if (n.isEmpty() || (allowed != null && !allowed.contains(n))) {
                throw new UserError("config key '" + full(key) + "': '" + n + "' is not "
                        + (allowed == null ? "a name" : "one of " + String.join(", ", allowed)));
            }
            if (out.indexOf(n) != out.lastIndexOf(n)) {
                throw new UserError("config key '" + full(key) + "' lists '" + n + "' twice");
            }
        }
        return out;
    }

    /** A non-empty list of integers in [lo, hi]: a list, or a comma-separated string. */
    public int[] integers(String key, int lo, int hi) {
        Object v = required(key);
        List<Object> items = new ArrayList<>();
        if (v instanceof List<?> l) {
            items.addAll(l);
        } else {
            for (String part : String.valueOf(v).split(",")) {
                items.add(part.trim());
            }
        }
        if (items.isEmpty()) {
            throw new UserError("config key '" + full(key) + "' needs at least one integer in [" + lo + ", " + hi + "]");
        }
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            Object x = items.get(i);
            double d;
            try {
                d = x instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(x));
            } catch (NumberFormatException e) {
                d = Double.NaN;
            }
            if (d != Math.rint(d) || d < lo || d > hi) {
                throw new UserError("config key '" + full(key) + "': value " + (i + 1) + " ('" + x
                        + "') is not an integer in [" + lo + ", " + hi + "]");
            }
            out[i] = (int) d;
        }
        return out;
    }
}
