package dev.pretext.cli;

import dev.pretext.config.ConfigLoader;
import dev.pretext.config.PretextConfig;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the config of a command: its --conf files, then the options that stand for config keys
 * (e.g. ingest's --resize for ingest.resize), then --set.
 */
final class ConfigArgs {
    private ConfigArgs() {
    }

    /**
     * Config key -> an option's value, in order, from alternating key and value arguments; a null
     * value (the option was not given) is left out, so the key keeps its configured value.
     */
    static Map<String, String> keys(Object... keyValue) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValue.length; i += 2) {
            if (keyValue[i + 1] != null) {
                m.put((String) keyValue[i], String.valueOf(keyValue[i + 1]));
            }
        }
        return m;
    }

    /** @param optionKeys config key -> the value of the option that sets it (e.g. "data.input" -> a path) */
    static PretextConfig load(ConfigOptions c, Map<String, String> optionKeys) {
        return ConfigLoader.load(c.files(), overrides(c, optionKeys));
    }

    /**
     * The config of a stage that reads the images table {@code table}: data.format comes from the
     * table's manifest (as if --set data.format=FORMAT), so its dataset layer (pre-training splits,
     * normalisation) applies; a --conf file or --set naming another format is refused.
     */
    static PretextConfig loadForTable(ConfigOptions c, Map<String, String> optionKeys, String table) {
        return loadForTable(List.of(), c, optionKeys, table);
    }

    /** As {@link #loadForTable(ConfigOptions, Map, String)} over {@code baseFiles} (not checked: a run's saved config). */
    static PretextConfig loadForTable(List<File> baseFiles, ConfigOptions c, Map<String, String> optionKeys,
                                      String table) {
        List<File> files = c.files();
        String format = CliTables.format(table);
        if (format == null) {
            List<File> all = new ArrayList<>(baseFiles);
            all.addAll(files);
            return ConfigLoader.load(all, overrides(c, optionKeys));
        }
        return ConfigLoader.loadForTable(table, format, baseFiles, files, overrides(c, optionKeys));
    }

    /** {@code pipeline}: as {@link #load}, and with data.table set, the format of that table as for a stage. */
    static PretextConfig loadPipeline(ConfigOptions c, Map<String, String> optionKeys) {
        PretextConfig cfg = load(c, optionKeys);
        return cfg.dataTable.isEmpty() ? cfg : loadForTable(c, optionKeys, cfg.dataTable);
    }

    /**
     * {@code compare}: as {@link #loadPipeline}, with {@code extra} key=value overrides after the
     * user's --set (so they win): the config of one method's run.
     */
    static PretextConfig loadPipeline(ConfigOptions c, List<String> extra) {
        List<File> files = c.files();
        List<String> sets = new ArrayList<>(overrides(c, Map.of()));
        sets.addAll(extra);
        PretextConfig cfg = ConfigLoader.load(files, sets);
        if (cfg.dataTable.isEmpty()) {
            return cfg;
        }
        String format = CliTables.format(cfg.dataTable);
        return format == null ? cfg : ConfigLoader.loadForTable(cfg.dataTable, format, List.of(), files, sets);
    }

    static PretextConfig loadEmbedded(String name, ConfigOptions c, Map<String, String> optionKeys) {
        return ConfigLoader.loadEmbedded(name, overrides(c, optionKeys));
    }

    private static List<String> overrides(ConfigOptions c, Map<String, String> optionKeys) {
        List<String> sets = new ArrayList<>();
        optionKeys.forEach((key, v) -> sets.add(key + "=\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\""));
        sets.addAll(c.sets);
        return sets;
    }
}
