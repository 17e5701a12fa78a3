package dev.pretext.cli;

import dev.pretext.UserError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line options: {@code --name value}, {@code --name=value}, repeatable
 * {@code --conf} and {@code --set}, boolean flags, and positional arguments. Unknown options are
 * errors naming the option and listing the command's options.
 */
public final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> confs = new ArrayList<>();
    private final List<String> sets = new ArrayList<>();
    private final List<String> positional = new ArrayList<>();
    private boolean help;

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param valued options that take a value (without the leading dashes)
     * @param flags  boolean options
     */
    public static Args parse(String command, String[] argv, Set<String> valued, Set<String> flags) {
        Args a = new Args(command);
        for (int i = 0; i < argv.length; i++) {
            String t = argv[i];
            if (t.equals("-h") || t.equals("--help")) {
                a.help = true;
                continue;
            }
            if (!t.startsWith("--")) {
                a.positional.add(t);
                continue;
            }
            String name = t.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            boolean takesValue = name.equals("conf") || name.equals("set") || valued.contains(name);
            if (!takesValue && !flags.contains(name)) {
                List<String> all = new ArrayList<>(List.of("--conf", "--set", "--help"));
                valued.forEach(v -> all.add("--" + v));
                flags.forEach(v -> all.add("--" + v));
                throw new UserError(command + ": unknown option --" + name + "; options are: " + String.join(", ", all));
            }
            if (takesValue && value == null) {
                if (i + 1 >= argv.length) {
                    throw new UserError(command + ": option --" + name + " needs a value");
                }
                value = argv[++i];
            }
            switch (name) {
                case "conf" -> a.confs.add(value);
                case "set" -> a.sets.add(value);
                default -> a.values.put(name, takesValue ? value : "true");
            }
        }
        return a;
    }

    public String command() {
        return command;
    }

    public boolean help() {
        return help;
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public String get(String name) {
        return values.get(name);
    }

    public String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    public String require(String name) {
        String v = values.get(name);
        if (v == null || v.isBlank()) {
            throw new UserError(command + ": --" + name + " is required (see " + command + " --help)");
        }
        return v;
    }

    public int intValue(String name, int dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UserError(command + ": --" + name + " expects an integer, got '" + v + "'");
        }
    }

    public List<String> confs() {
        return confs;
    }

    public List<String> sets() {
        return sets;
    }

    public List<String> positional() {
        return positional;
    }
}
