package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.method.Methods;

import java.util.Set;

/** {@code methods}: the registry of pre-training methods, their inputs, keys and defaults. */
final class MethodsCommand implements Command {
    @Override
    public String name() {
        return "methods";
    }

    @Override
    public String summary() {
        return "the pre-training methods (method.name), their inputs and their method.<name>.* keys";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext methods

                Lists every pre-training method that method.name selects: what it computes, the inputs
                an example needs, and its own keys method.<name>.* with their defaults and meaning
                (from pretext/methods/<name>.conf), plus any other key its layer sets. Set a key with
                --set method.<name>.<key>=value or in a --conf file, e.g.
                  bin/pretext pipeline --set method.name=byol --set method.byol.momentum=0.996
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of(), Set.of());
        if (!a.positional().isEmpty() || !a.confs().isEmpty() || !a.sets().isEmpty()) {
            throw new UserError("methods: takes no arguments (see methods --help)");
        }
        System.out.print(Methods.describe());
        return 0;
    }
}
