package dev.pretext.cli;

/** One subcommand of {@code bin/pretext}. */
public interface Command {
    String name();

    /** One line for the command list. */
    String summary();

    /** Full {@code --help} text. */
    String help();

    /** Runs the command; returns the process exit status. */
    int run(String[] argv) throws Exception;
}
