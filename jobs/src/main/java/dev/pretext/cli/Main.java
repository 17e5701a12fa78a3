package dev.pretext.cli;

import dev.pretext.UserError;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of the shaded jar: {@code bin/pretext <command> ...} or
 * {@code spark-submit --class dev.pretext.cli.Main pretext-jobs-*-shaded.jar <command> ...}.
 * picocli parses; the exit status is 0, 2 for a user error (a bad option, a missing file, a bad
 * config key: {@link UserError}), 130 after Ctrl-C, 1 for anything else.
 */
public final class Main {
    /** The program's name in usage lines and in the completion script ({@code complete ... pretext}). */
    static final String PROGRAM = "pretext";

    @Command(name = PROGRAM, headerHeading = "%n",
            header = "Pretext: self-supervised visual pre-training on Spark + DL4J",
            synopsisHeading = "%nUsage: ", customSynopsis = "bin/pretext <command> [options]   (every command has --help)",
            commandListHeading = "%nCommands:%n",
            footer = {"", "Common options: --conf FILE (repeatable, later wins)  --set key=value (repeatable)",
                    "Shell completion: source <(bin/pretext completion bash)   (zsh: completion zsh)"},
            subcommands = {QuickstartCommand.class, PipelineCommand.class, SynthCommand.class, IngestCommand.class,
                    AugmentCommand.class, PretrainCommand.class, FeaturesCommand.class, ProbeCommand.class,
                    FinetuneCommand.class, PatchesCommand.class, DescribeCommand.class, InspectCommand.class,
                    BenchCommand.class, MethodsCommand.class, CompareCommand.class, ReportCommand.class,
                    ExportCommand.class, RetrainCommand.class, RegistryCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
    static final class Root extends PretextCommand {
        @Override
        public Integer call() {
            spec.commandLine().usage(System.out);
            return 2;
        }
    }

    private Main() {
    }

    public static void main(String[] argv) {
        QuietStdout.install();
        int status = run(argv);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The command tree, with Pretext's help layout and parser settings. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Root());
        cl.setExpandAtFiles(false);              // "@file" is a path, not an argument file
        cl.setOverwrittenOptionsAllowed(true);   // a repeated option: the last one wins
        cl.setUsageHelpWidth(100);
        cl.setUsageHelpLongOptionsMaxWidth(28);
        cl.setHelpFactory(Main::help);
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        layout(cl);
        // a command with commands of its own (bench) shows their synopses, so its help names every option
        cl.getSubcommands().values().stream().distinct().filter(c -> !c.getSubcommands().isEmpty()).forEach(c -> {
            List<String> lines = new ArrayList<>(List.of(c.getCommandSpec().usageMessage().footer()));
            c.getSubcommands().values().forEach(sub -> lines.add("%n" + sub.getHelp().synopsis(0).stripTrailing()
                    .replace("%", "%%")));
            c.getCommandSpec().usageMessage().footer(lines.toArray(new String[0]));
        });
        return cl;
    }

    /** Options in the order the command declares them (the important ones first), a blank line between sections. */
    private static void layout(CommandLine c) {
        CommandLine.Model.UsageMessageSpec u = c.getCommandSpec().usageMessage();
        u.sortOptions(false).sortSynopsis(false);
        String[] d = u.description();
        if (d.length > 0 && d[d.length - 1].endsWith("\n")) {   // a text block's last newline: the heading adds one
            d[d.length - 1] = d[d.length - 1].stripTrailing();
            u.description(d);
        }
        if (c.getCommandSpec().parent() != null) {
            u.synopsisHeading("%nUsage: ").descriptionHeading("%n").optionListHeading("%nOptions:%n")
                    .commandListHeading("%nCommands:%n");
        }
        c.getSubcommands().values().stream().distinct().forEach(Main::layout);
    }

    /** Runs a command and returns its exit status (0 ok, 2 user error, 1 internal error, 130 interrupted). */
    public static int run(String[] argv) {
        CommandLine cl = commandLine();
        ParseResult parsed;
        try {
            parsed = cl.parseArgs(argv);
        } catch (ParameterException e) {
            return usageError(e, argv, System.err);
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        PretextCommand c = (PretextCommand) leaf.commandSpec().userObject();
        if (c instanceof Root root) {
            return root.call();
        }
        Interrupts.install();
        Interrupts.started(c.name());
        try {
            return c.call();
        } catch (Throwable t) {
            return failed(c.name(), t, System.err);
        } finally {
            Interrupts.finished();
        }
    }

    /**
     * A command line picocli could not parse: one line naming the command and the problem, what was
     * probably meant (a mistyped command or option), and where the help is; exit status 2.
     */
    static int usageError(ParameterException e, String[] argv, PrintStream err) {
        CommandLine at = e.getCommandLine();
        CommandSpec spec = at.getCommandSpec();
        String cmd = qualified(spec);
        String where = cmd.isEmpty() ? "" : cmd + ": ";
        String help = "bin/pretext " + (cmd.isEmpty() ? "" : cmd + " ") + "--help";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String typed = u.getUnmatched().get(0);
            if (typed.startsWith("-")) {
                err.println("error: " + where + unknownOption(spec, typed.contains("=")
                        ? typed.substring(0, typed.indexOf('=')) : typed));
            } else if (!spec.subcommands().isEmpty()) {
                List<String> names = visibleCommands(spec);
                List<String> near = Suggestions.closest(typed, names);
                err.println("error: " + where + "unknown command '" + typed + "'"
                        + (near.isEmpty() ? "" : "; did you mean '" + String.join("' or '", near) + "'?")
                        + " (commands: " + String.join(", ", names) + ")");
            } else {
                err.println("error: " + where + "unexpected argument '" + typed + "' (see " + help + ")");
                return 2;
            }
        } else if (e instanceof CommandLine.MissingParameterException m && !unknownOptions(spec, argv).isEmpty()) {
            // picocli checks required options first; a mistyped one is the better thing to report
            err.println("error: " + where + unknownOption(spec, unknownOptions(spec, argv).get(0)));
        } else if (e instanceof CommandLine.MissingParameterException m) {
            List<String> missing = new ArrayList<>();
            for (ArgSpec a : m.getMissing()) {
                missing.add(a instanceof OptionSpec o ? o.longestName() : a.paramLabel());
            }
            err.println("error: " + where + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " required (see " + help + ")");
            return 2;
        } else {
            err.println("error: " + where + e.getMessage().replace("'", "").replace("=", " "));
        }
        err.println("see " + help);
        return 2;
    }

    /** "unknown option --x; did you mean --y? (options: ...)" */
    private static String unknownOption(CommandSpec spec, String name) {
        List<String> options = new ArrayList<>();
        spec.options().stream().filter(o -> !o.hidden()).forEach(o -> options.add(o.longestName()));
        List<String> near = Suggestions.closest(name, options);
        return "unknown option " + name + (near.isEmpty() ? "" : "; did you mean " + String.join(" or ", near) + "?")
                + " (options: " + String.join(", ", options) + ")";
    }

    /** The {@code --words} after the command's name in {@code argv} that are not options of {@code spec}. */
    private static List<String> unknownOptions(CommandSpec spec, String[] argv) {
        List<String> out = new ArrayList<>();
        int depth = qualified(spec).isEmpty() ? 0 : qualified(spec).split(" ").length;
        for (int i = depth; i < argv.length; i++) {
            String a = argv[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (name.startsWith("--") && name.length() > 2 && spec.findOption(name) == null) {
                out.add(name);
            }
        }
        return out;
    }

    /** The commands a user can type at {@code spec}, as the help lists them. */
    static List<String> visibleCommands(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        spec.subcommands().forEach((n, sub) -> {
            if (!sub.getCommandSpec().usageMessage().hidden() && !names.contains(sub.getCommandName())) {
                names.add(sub.getCommandName());
            }
        });
        return names;
    }

    /** {@code "bench ingest"} for that command, {@code ""} for the program itself. */
    private static String qualified(CommandSpec spec) {
        String q = spec.qualifiedName(" ");
        int sp = q.indexOf(' ');
        return sp < 0 ? "" : q.substring(sp + 1);
    }

    /**
     * The exit status and message of a failed command: after Ctrl-C (the JVM shutting down, Spark's
     * hook cancelling the running job) one line and 130; a UserError's message and 2; else the
     * trace and 1.
     */
    static int failed(String command, Throwable t, java.io.PrintStream err) {
        if (Interrupts.interrupted()) {
            Interrupts.report(err);
            return Interrupts.EXIT;
        }
        UserError ue = userError(t);
        if (ue != null) {
            err.println("error: " + dev.pretext.config.Secrets.redactText(ue.getMessage()));
            return 2;
        }
        if (dev.pretext.jobs.Failures.outOfMemory(t)) {
            // not a bug to report with a trace: a setting to raise
            err.println("error in '" + command + "': " + dev.pretext.jobs.Failures.describe(t));
            return 1;
        }
        err.println("internal error in '" + command + "': " + dev.pretext.config.Secrets.redactText(String.valueOf(t)));
        t.printStackTrace(err);
        return 1;
    }

    /** Finds a UserError in the cause chain (Spark wraps executor-side exceptions). */
    static UserError userError(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof UserError u) {
                return u;
            }
            if (x.getCause() == x) {
                break;
            }
        }
        // Executor-side failures may arrive only as text in the SparkException message.
        for (Throwable x = t; x != null; x = x.getCause()) {
            String m = String.valueOf(x.getMessage());
            int i = m.indexOf(UserError.class.getName() + ": ");
            if (i >= 0) {
                String msg = m.substring(i + UserError.class.getName().length() + 2);
                int nl = msg.indexOf('\n');
                return new UserError(nl > 0 ? msg.substring(0, nl) : msg);
            }
            if (x.getCause() == x) {
                break;
            }
        }
        return null;
    }

    /** The program's help: the command list. */
    static String usage() {
        return commandLine().getUsageMessage(Help.Ansi.OFF);
    }

    /**
     * picocli's help, with options shown as {@code --out DIR} (as typed, and as the README writes
     * them) rather than {@code --out=DIR}; both forms are accepted.
     */
    private static Help help(CommandSpec spec, Help.ColorScheme colors) {
        return new Help(spec, colors) {
            @Override
            public IParamLabelRenderer parameterLabelRenderer() {
                IParamLabelRenderer plain = super.parameterLabelRenderer();
                return new IParamLabelRenderer() {
                    @Override
                    public Help.Ansi.Text renderParameterLabel(ArgSpec arg, Help.Ansi ansi, List<Help.Ansi.IStyle> styles) {
                        Help.Ansi.Text t = plain.renderParameterLabel(arg, ansi, styles);
                        String s = t.plainString();
                        return s.startsWith("=") ? ansi.new Text(" " + s.substring(1), colors) : t;
                    }

                    @Override
                    public String separator() {
                        return " ";
                    }
                };
            }
        };
    }
}
