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

    /**
     * The config of a stage that reads the images table {@code table}: data.format comes from the
     * table's manifest (as if --set data.format=FORMAT), so its dataset layer (pre-training splits,
     * normalisation) applies; a --conf file or --set naming another format is refused.
     */
    static PretextConfig loadForTable(Args a, Map<String, String> optionKeys, String table) {
        return loadForTable(List.of(), a, optionKeys, table);
    }

    /** As {@link #loadForTable(Args, Map, String)} over {@code baseFiles} (not checked: a run's saved config). */
    static PretextConfig loadForTable(List<File> baseFiles, Args a, Map<String, String> optionKeys, String table) {
        List<File> files = a.confs().stream().map(File::new).toList();
        String format = CliTables.format(table);
        if (format == null) {
            List<File> all = new ArrayList<>(baseFiles);
            all.addAll(files);
            return ConfigLoader.load(all, overrides(a, optionKeys));
        }
        return ConfigLoader.loadForTable(table, format, baseFiles, files, overrides(a, optionKeys));
    }

    /** {@code pipeline}: as {@link #load}, and with data.table set, the format of that table as for a stage. */
    static PretextConfig loadPipeline(Args a, Map<String, String> optionKeys) {
        PretextConfig cfg = load(a, optionKeys);
        return cfg.dataTable.isEmpty() ? cfg : loadForTable(a, optionKeys, cfg.dataTable);
    }

    /**
     * {@code compare}: as {@link #loadPipeline}, with {@code extra} key=value overrides after the
     * user's --set (so they win): the config of one method's run.
     */
    static PretextConfig loadPipeline(Args a, List<String> extra) {
        List<File> files = a.confs().stream().map(File::new).toList();
        List<String> sets = new ArrayList<>(overrides(a, Map.of()));
        sets.addAll(extra);
        PretextConfig cfg = ConfigLoader.load(files, sets);
        if (cfg.dataTable.isEmpty()) {
            return cfg;
        }
        String format = CliTables.format(cfg.dataTable);
        return format == null ? cfg : ConfigLoader.loadForTable(cfg.dataTable, format, List.of(), files, sets);
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
