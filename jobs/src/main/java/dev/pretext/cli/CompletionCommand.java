package dev.pretext.cli;

import dev.pretext.UserError;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code completion}: the shell completion script of every command and option, on stdout. */
@Command(name = "completion", header = "print the bash/zsh completion script: source <(bin/pretext completion bash)",
        description = {
            "Prints a completion script for bash (and zsh, through its bash compatibility) that completes",
            "the commands, their options and the choices of options such as --dataset. Load it in the",
            "current shell, or add the line to ~/.bashrc or ~/.zshrc:",
            "  source <(bin/pretext completion bash)",
            "It completes the program as typed by its name, pretext (bin/pretext, or pretext on PATH)."})
final class CompletionCommand extends PretextCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "bash|zsh", defaultValue = "bash",
            description = "The shell (default: ${DEFAULT-VALUE}); zsh gets the same script, which loads bashcompinit.")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new UserError("completion: unknown shell '" + shell + "'; give bash or zsh");
        }
        System.out.print(script());
        System.out.flush();
        return 0;
    }

    /** The script, generated from the command tree itself, so it never lags behind the options. */
    static String script() {
        return AutoComplete.bash(Main.PROGRAM, Main.commandLine());
    }
}
