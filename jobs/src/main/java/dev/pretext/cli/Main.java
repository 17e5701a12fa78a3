package dev.pretext.cli;

import dev.pretext.UserError;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of the shaded jar: {@code bin/pretext <command> ...} or
 * {@code spark-submit --class dev.pretext.cli.Main pretext-jobs-*-shaded.jar <command> ...}.
 */
public final class Main {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        for (Command c : new Command[]{
                new QuickstartCommand(), new PipelineCommand(), new SynthCommand(), new IngestCommand(),
                new AugmentCommand(), new PretrainCommand(), new FeaturesCommand(), new ProbeCommand(), new FinetuneCommand(), new PatchesCommand(), new DescribeCommand(), new InspectCommand(),
                new BenchCommand(), new MethodsCommand(), new CompareCommand(), new ReportCommand(), new ExportCommand(),
                new RetrainCommand(), new RegistryCommand()}) {
            COMMANDS.put(c.name(), c);
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

    /** Runs a command and returns its exit status (0 ok, 2 user error, 1 internal error). */
    public static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.println(usage());
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            System.err.println("error: unknown command '" + argv[0] + "'; commands are: "
                    + String.join(", ", COMMANDS.keySet()));
            return 2;
        }
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            System.out.println(c.help());
            return 0;
        }
        Interrupts.install();
        Interrupts.started(c.name());
        try {
            return c.run(rest);
        } catch (Throwable t) {
            return failed(c.name(), t, System.err);
        } finally {
            Interrupts.finished();
        }
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

    static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Pretext: self-supervised visual pre-training on Spark + DL4J\n\n");
        sb.append("usage: bin/pretext <command> [options]      (every command has --help)\n\n");
        for (Command c : COMMANDS.values()) {
            sb.append(String.format("  %-11s %s%n", c.name(), c.summary()));
        }
        sb.append("\nCommon options: --conf FILE (repeatable, later wins)  --set key=value (repeatable)\n");
        return sb.toString();
    }
}
