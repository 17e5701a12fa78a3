package dev.pretext.describe;

import com.typesafe.config.Config;
import dev.pretext.UserError;
import dev.pretext.augment.AugmentSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Descriptors by name, with optional parameter overrides:
 * <ul>
 *   <li>{@code image}: no parameters;</li>
 *   <li>{@code augmented}: {@code seed} (long, default 0), {@code spec} (an {@link AugmentSpec}
 *       object; default SimCLR's recipe for the image size);</li>
 *   <li>{@code hog}: {@code cell-size} (8), {@code bins} (9), {@code block-size} (2), {@code clip} (0.2);</li>
 *   <li>{@code lsd}: {@code window} (3);</li>
 *   <li>{@code scattering}: {@code j} (2), {@code l} (8).</li>
 * </ul>
 * Unknown names and keys, and values of the wrong type, are {@link UserError}s that list what is valid.
 */
public final class Descriptors {
    public static final List<String> NAMES = List.of(FlatImage.NAME, AugmentedImage.NAME, Hog.NAME, LocalStd.NAME,
            Scattering.NAME);

    private Descriptors() {
    }

    /** The descriptor with its default parameters. */
    public static Descriptor create(String name) {
        return create(name, Map.of());
    }

    /** The descriptor with parameters from a config section (e.g. {@code describe.hog}). */
    public static Descriptor create(String name, Config params) {
        return create(name, params == null ? Map.of() : params.root().unwrapped());
    }

    public static Descriptor create(String name, Map<String, ?> overrides) {
        Params p = new Params(checkName(name), overrides == null ? Map.of() : overrides);
        return switch (name) {
            case FlatImage.NAME -> {
                p.allow();
                yield new FlatImage();
            }
            case AugmentedImage.NAME -> {
                p.allow("seed", "spec");
                yield new AugmentedImage(p.spec("spec"), p.longOr("seed", 0L));
            }
            case Hog.NAME -> {
                p.allow("cell-size", "bins", "block-size", "clip");
                yield new Hog(p.intOr("cell-size", 8), p.intOr("bins", 9), p.intOr("block-size", 2),
                        p.doubleOr("clip", 0.2));
            }
            case LocalStd.NAME -> {
                p.allow("window");
                yield new LocalStd(p.intOr("window", 3));
            }
            case Scattering.NAME -> {
                p.allow("j", "l");
                yield new Scattering(p.intOr("j", 2), p.intOr("l", 8));
            }
            default -> throw new IllegalStateException("unreachable: name checked " + name);
        };
    }

    /** Comma-separated names, e.g. {@code "hog,lsd,scattering,image"}, each with its defaults. */
    public static List<Descriptor> parseList(String list) {
        return parseList(list, Map.of());
    }

    /**
     * Comma-separated names, in order, with overrides per name (a key of {@code overrides} that is
     * not in the list is an error: it would silently do nothing).
     */
    public static List<Descriptor> parseList(String list, Map<String, ? extends Map<String, ?>> overrides) {
        if (list == null || list.isBlank()) {
            throw new UserError("descriptor list is empty; give comma-separated names from: " + String.join(", ", NAMES));
        }
        Set<String> names = new LinkedHashSet<>();
        for (String part : list.split(",", -1)) {
            String name = part.trim();
            if (name.isEmpty()) {
                throw new UserError("descriptor list '" + list + "' has an empty entry; valid names: " + String.join(", ", NAMES));
            }
            checkName(name);
            if (!names.add(name)) {
                throw new UserError("descriptor list '" + list + "' names '" + name + "' twice");
            }
        }
        Map<String, ? extends Map<String, ?>> given = overrides == null ? Map.of() : overrides;
        for (String key : given.keySet()) {
            if (!names.contains(key)) {
                throw new UserError("parameters given for descriptor '" + key + "', which is not in the list '" + list + "'");
            }
        }
        List<Descriptor> out = new ArrayList<>();
        for (String name : names) {
            Map<String, ?> o = given.get(name);
            out.add(create(name, o == null ? Map.of() : o));
        }
        return List.copyOf(out);
    }

    /**
     * The descriptors {@code names}, in order, each with its parameters from {@code params} (the
     * config's {@code describe.<name>} sections, which hold every name; the others are ignored).
     */
    public static List<Descriptor> configured(List<String> names, Map<String, ? extends Map<String, ?>> params) {
        if (names.isEmpty()) {
            return List.of();
        }
        Map<String, Map<String, ?>> listed = new java.util.LinkedHashMap<>();
        for (String name : names) {
            if (params != null && params.containsKey(name)) {
                listed.put(name, params.get(name));
            }
        }
        return parseList(String.join(",", names), listed);
    }

    private static String checkName(String name) {
        if (name == null || !NAMES.contains(name)) {
            throw new UserError("unknown descriptor '" + name + "'; valid names: " + String.join(", ", NAMES));
        }
        return name;
    }

    /** Typed reads of one descriptor's overrides; errors name the descriptor and the key. */
    private static final class Params {
        private final String descriptor;
        private final Map<String, ?> values;

        Params(String descriptor, Map<String, ?> values) {
            this.descriptor = descriptor;
            this.values = values;
        }

        void allow(String... keys) {
            Set<String> valid = Set.of(keys);
            for (String key : values.keySet()) {
                if (!valid.contains(key)) {
                    throw new UserError("descriptor '" + descriptor + "': unknown parameter '" + key + "'; valid: "
                            + (keys.length == 0 ? "none" : String.join(", ", new TreeSet<>(valid))));
                }
            }
        }

        int intOr(String key, int fallback) {
            long v = longOr(key, fallback);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw wrong(key, "an integer", v);
            }
            return (int) v;
        }

        long longOr(String key, long fallback) {
            Object v = values.get(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                return ((Number) v).longValue();
            }
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && Math.abs(n.doubleValue()) < 0x1p53) {
                return (long) n.doubleValue();
            }
            if (v instanceof String s) {
                try {
                    return Long.parseLong(s.trim());
                } catch (NumberFormatException e) {
                    throw wrong(key, "an integer", v);
                }
            }
            throw wrong(key, "an integer", v);
        }

        double doubleOr(String key, double fallback) {
            Object v = values.get(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Number n) {
                return n.doubleValue();
            }
            if (v instanceof String s) {
                try {
                    return Double.parseDouble(s.trim());
                } catch (NumberFormatException e) {
                    throw wrong(key, "a number", v);
                }
            }
            throw wrong(key, "a number", v);
        }

        AugmentSpec spec(String key) {
            Object v = values.get(key);
            if (v == null || v instanceof AugmentSpec) {
                return (AugmentSpec) v;
            }
            throw wrong(key, "an AugmentSpec (or absent for SimCLR's recipe by image size)", v);
        }

        private UserError wrong(String key, String expected, Object got) {
            return new UserError("descriptor '" + descriptor + "': parameter '" + key + "' must be " + expected
                    + ", got '" + got + "'");
        }
    }
}
