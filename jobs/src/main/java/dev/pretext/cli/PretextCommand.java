package dev.pretext.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One command of {@code bin/pretext}: picocli fills its option fields, {@link Main} calls it and
 * turns what it throws into the exit status. The command classes stay thin: read the options,
 * build from {@code lib}, run.
 */
abstract class PretextCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    /** The command as the user typed it after the program, e.g. {@code pretrain} or {@code bench ingest}. */
    String name() {
        String q = spec.qualifiedName(" ");
        int sp = q.indexOf(' ');
        return sp < 0 ? q : q.substring(sp + 1);
    }

    /** The arguments after the command's name, as given (for the resume hints, which repeat them). */
    String[] argv() {
        List<String> all = spec.root().commandLine().getParseResult().originalArgs();
        int skip = name().split(" ").length;
        return all.subList(Math.min(skip, all.size()), all.size()).toArray(new String[0]);
    }
}
