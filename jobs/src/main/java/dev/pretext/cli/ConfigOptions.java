package dev.pretext.cli;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/** {@code --conf FILE} and {@code --set key=value}, shared by every command that builds a config. */
final class ConfigOptions {
    @Option(names = "--conf", paramLabel = "FILE",
            description = "A HOCON config file over the defaults; repeatable, a later file wins.")
    List<String> confs = new ArrayList<>();

    @Option(names = "--set", paramLabel = "key=value",
            description = "Sets one config key (the value parsed as HOCON); repeatable, wins over --conf. "
                    + "Unknown keys and bad values are refused, naming the key.")
    List<String> sets = new ArrayList<>();

    /** For tests and for commands that build the options themselves. */
    static ConfigOptions of(List<String> confs, List<String> sets) {
        ConfigOptions c = new ConfigOptions();
        c.confs = new ArrayList<>(confs);
        c.sets = new ArrayList<>(sets);
        return c;
    }

    List<File> files() {
        return confs.stream().map(File::new).toList();
    }
}
