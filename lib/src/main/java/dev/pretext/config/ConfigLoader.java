package dev.pretext.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import dev.pretext.UserError;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Layered HOCON loading: {@code pretext/reference.conf} &lt; {@code pretext/datasets/<format>.conf}
 * &lt; {@code pretext/methods/<method>.conf} &lt; experiment file(s) &lt; {@code --set} overrides.
 * The dataset and method layers are chosen by the values that the upper layers give to
 * {@code data.format} and {@code method.name}. Every key must be declared in the reference layer.
 */
public final class ConfigLoader {
    private static final String BASE = "pretext/";
    private static final ConfigParseOptions STRICT = ConfigParseOptions.defaults().setAllowMissing(false);

    private ConfigLoader() {
    }

    /** Loads an embedded experiment ({@code pretext/experiments/<name>.conf}) plus overrides. */
    public static PretextConfig loadEmbedded(String experiment, List<String> overrides) {
        Config exp = resource("experiments/" + experiment + ".conf");
        return build(exp, overrides);
    }

    /** Loads the experiment files in order (later wins), then the {@code key=value} overrides. */
    public static PretextConfig load(List<File> files, List<String> overrides) {
        return build(parseFiles(files), overrides);
    }

    /**
     * Loads a config for a stage that reads an existing table of format {@code tableFormat}: as if
     * {@code --set data.format=<tableFormat>} had been given, so the dataset layer of the table's
     * format applies. The {@code files} and {@code overrides} may not set another format (a
     * {@link UserError} names the setting); {@code baseFiles} sit below the table's format and are
     * not checked (a run's saved config, whose normalisation belongs to its encoder).
     *
     * @param table the table's path, for messages
     */
    public static PretextConfig loadForTable(String table, String tableFormat, List<File> baseFiles,
                                             List<File> files, List<String> overrides) {
        Config sets = parseOverrides(overrides);
        Config exp = parseFiles(files);
        String where = null;
        String other = null;
        if (sets.hasPath("data.format")) {
            other = sets.getValue("data.format").unwrapped().toString();
            where = "--set data.format=" + other;
        } else if (exp.hasPath("data.format")) {
            other = exp.getValue("data.format").unwrapped().toString();
            String file = exp.getValue("data.format").origin().filename();
            where = (file == null ? "a config file" : "config file " + file) + " (data.format = " + other + ")";
        }
        if (other != null && !other.equals(tableFormat)) {
            throw new UserError("table " + table + " holds " + tableFormat + " images (its " + "_manifest.json), but "
                    + where + " asks for " + other + "; the format is taken from the table: drop that setting, "
                    + "use a config for " + tableFormat + ", or give a " + other + " table");
        }
        Config format = ConfigFactory.parseMap(Map.of("data.format", tableFormat), "the format of table " + table);
        return build(exp.withFallback(format).withFallback(parseFiles(baseFiles)), overrides);
    }

    private static Config parseFiles(List<File> files) {
        Config exp = ConfigFactory.empty();
        for (File f : files) {
            if (!f.isFile()) {
                throw new UserError("config file not found: " + f);
            }
            if (!f.canRead()) {
                throw new UserError("config file not readable: " + f);
            }
            try {
                exp = ConfigFactory.parseFile(f, STRICT).withFallback(exp);
            } catch (ConfigException e) {
                throw new UserError("cannot parse config file " + f + ": " + e.getMessage(), e);
            }
        }
        return exp;
    }

    static PretextConfig build(Config experiment, List<String> overrides) {
        Config sets = parseOverrides(overrides);
        Config upper = sets.withFallback(experiment);
        // Every method's own keys (method.<name>.*) are declared, with their defaults, in its file.
        Config reference = resource("reference.conf");
        for (String m : dev.pretext.method.Methods.names()) {
            Config own = optionalResource("methods/" + m + ".conf");
            if (own.hasPath("method." + m)) {
                reference = reference.withFallback(own.getConfig("method." + m).atPath("method." + m));
            }
        }
        checkKnownKeys(upper, reference);
        String format = upper.withFallback(reference).getString("data.format");
        String method = upper.withFallback(reference).getString("method.name");
        Config dataset = optionalResource("datasets/" + format + ".conf");
        Config methodLayer = optionalResource("methods/" + method + ".conf");
        Config merged = upper.withFallback(methodLayer).withFallback(dataset).withFallback(reference);
        try {
            merged = merged.resolve(ConfigResolveOptions.defaults());
        } catch (ConfigException e) {
            throw new UserError("config: " + e.getMessage(), e);
        }
        return new PretextConfig(merged);
    }

    /** {@code --set a.b=c}: the value is parsed as HOCON (numbers, lists, quoted strings), else a string. */
    static Config parseOverrides(List<String> overrides) {
        Config out = ConfigFactory.empty();
        for (String kv : overrides) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UserError("--set expects key=value, got '" + kv + "'");
            }
            String key = kv.substring(0, eq).trim();
            String value = kv.substring(eq + 1).trim();
            Config one;
            try {
                one = ConfigFactory.parseString(key + " = " + value);
            } catch (ConfigException e) {
                one = ConfigFactory.parseMap(Map.of(key, value));
            }
            out = one.withFallback(out);
        }
        return out;
    }

    private static void checkKnownKeys(Config upper, Config reference) {
        for (Map.Entry<String, ConfigValue> e : upper.entrySet()) {
            String key = e.getKey();
            if (!reference.hasPathOrNull(key)) {
                throw new UserError("unknown config key '" + key + "'" + suggestion(key, reference));
            }
        }
    }

    private static String suggestion(String key, Config reference) {
        int dot = key.lastIndexOf('.');
        String parent = dot > 0 ? key.substring(0, dot) : "";
        TreeSet<String> siblings = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
            String k = e.getKey();
            if (parent.isEmpty() || k.startsWith(parent + ".")) {
                siblings.add(k);
            }
        }
        if (siblings.isEmpty()) {
            List<String> roots = new ArrayList<>(reference.root().keySet());
            return "; top-level sections are: " + String.join(", ", new TreeSet<>(roots));
        }
        return "; known keys" + (parent.isEmpty() ? "" : " under '" + parent + "'") + ": "
                + String.join(", ", siblings);
    }

    private static Config resource(String name) {
        Config c = optionalResource(name);
        if (c.isEmpty()) {
            throw new UserError("embedded config " + BASE + name + " not found (unknown preset?)");
        }
        return c;
    }

    private static Config optionalResource(String name) {
        return ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), BASE + name);
    }
}
