package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the config of a command: its --conf files, then options that map to keys, then --set. */
final class ConfigArgs {
    private ConfigArgs() {
    }

    /** @param optionKeys command option name -> config key (e.g. "input" -> "data.input") */
    static PretextConfig load(Args a, Map<String, String> optionKeys) {
        List<File> files = a.confs().stream().map(File::new).toList();
        return ConfigLoader.load(files, overrides(a, optionKeys));
    }

    static PretextConfig loadEmbedded(String name, Args a, Map<String, String> optionKeys) {
        return ConfigLoader.loadEmbedded(name, overrides(a, optionKeys));
    }

    private static List<String> overrides(Args a, Map<String, String> optionKeys) {
        List<String> sets = new ArrayList<>();
        optionKeys.forEach((opt, key) -> {
            String v = a.get(opt);
            if (v != null) {
                sets.add(key + "=\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
            }
        });
        sets.addAll(a.sets());
        return sets;
    }
}
