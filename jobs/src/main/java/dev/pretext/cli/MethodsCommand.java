package dev.pretext.cli;

import dev.pretext.method.Methods;

import picocli.CommandLine.Command;

/** {@code methods}: the registry of pre-training methods, their inputs, keys and defaults. */
@Command(name = "methods",
        header = "the pre-training methods (method.name), their inputs and their method.<name>.* keys",
        description = """
                Lists every pre-training method that method.name selects: what it computes, the inputs
                an example needs, and its own keys method.<name>.* with their defaults and meaning
                (from pretext/methods/<name>.conf), plus any other key its layer sets. Set a key with
                --set method.<name>.<key>=value or in a --conf file, e.g.
                  bin/pretext pipeline --set method.name=byol --set method.byol.momentum=0.996
                """)
final class MethodsCommand extends PretextCommand {
    @Override
    public Integer call() {
        System.out.print(Methods.describe());
        return 0;
    }
}
