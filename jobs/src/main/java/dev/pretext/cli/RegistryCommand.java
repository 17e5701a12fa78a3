package dev.pretext.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pretext.UserError;
import dev.pretext.jobs.RunLock;
import dev.pretext.registry.ModelRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry list|show|promote|rollback}: reads and steers a model registry ({@link ModelRegistry}). */
@Command(name = "registry",
        header = "list, show, promote or roll back the versions of a model registry (written by retrain)",
        description = """

                  list              every version, newest first: status, champion (*), parent, when,
                                    holdout scores, the images it trained on, the gate's reason
                  show [VERSION]    one version's record (default: the champion): lineage (data snapshot,
                                    config, code version, parent), training, holdout scores, gate
                  promote VERSION   makes VERSION (v0003, v3 or 3) the champion; it must have a complete
                                    checkpoint. The current champion goes on the rollback stack
                  rollback          moves the champion pointer back to the previous promoted version
                                    that still exists

                DIR is a local path or any Hadoop file system URI. promote and rollback take DIR/.lock
                (refused while a retrain runs) and replace DIR/champion atomically; each change is a
                line of DIR/history.jsonl with --reason (default: "manual"). See README
                "Scheduled retraining".
                """)
final class RegistryCommand extends PretextCommand {
    @Parameters(paramLabel = "ACTION [VERSION]", arity = "0..2",
            description = "list | show [VERSION] | promote VERSION | rollback")
    List<String> actionArgs;

    @Option(names = "--registry", required = true, paramLabel = "DIR",
            description = "The model registry (a local path or a Hadoop file system URI).")
    String registryDir;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "manual",
            description = "Why, recorded in DIR/history.jsonl (promote, rollback).")
    String reason;

    @Override
    public Integer call() throws Exception {
        List<String> pos = new ArrayList<>();
        if (actionArgs != null) {
            pos.addAll(actionArgs);
        }
        if (pos.isEmpty()) {
            throw new UserError("registry: give list, show, promote or rollback (see registry --help)");
        }
        ModelRegistry reg = ModelRegistry.at(registryDir);
        String action = pos.get(0);
        switch (action) {
            case "list" -> {
                arity(pos, 1, "list");
                System.out.print(list(reg));
            }
            case "show" -> {
                arity(pos, 2, "show [VERSION]");
                String v = pos.size() > 1 ? ModelRegistry.versionName(pos.get(1))
                        : reg.champion().map(ModelRegistry.Pointer::version).orElseThrow(() ->
                        new UserError("registry " + reg + " has no champion; name a version (registry list)"));
                System.out.print(show(reg, v));
            }
            case "promote" -> {
                if (pos.size() != 2) {
                    throw new UserError("registry promote: give the version to promote (registry list shows them)");
                }
                String v = ModelRegistry.versionName(pos.get(1));
                try (RunLock ignored = reg.lock()) {
                    String was = reg.champion().map(ModelRegistry.Pointer::version).orElse("none");
                    reg.promote(v, "registry promote", reason);
                    System.out.printf("registry: %s is the champion (was %s)%n", v, was);
                }
            }
            case "rollback" -> {
                arity(pos, 1, "rollback");
                try (RunLock ignored = reg.lock()) {
                    String was = reg.champion().map(ModelRegistry.Pointer::version).orElse("none");
                    ModelRegistry.Pointer p = reg.rollback("registry rollback", reason);
                    System.out.printf("registry: rolled back from %s to %s%n", was, p.version());
                }
            }
            default -> throw new UserError("registry: unknown action '" + action + "'; use list, show, promote or rollback");
        }
        return 0;
    }

    private static void arity(List<String> pos, int max, String usage) {
        if (pos.size() > max) {
            throw new UserError("registry " + usage + ": unexpected argument '" + pos.get(max) + "'");
        }
    }

    static String list(ModelRegistry reg) {
        Optional<ModelRegistry.Pointer> champ = reg.champion();
        List<String> versions = new ArrayList<>(reg.versions());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("registry %s: %d version(s), champion %s%n", reg, versions.size(),
                champ.map(p -> p.version() + " (since " + p.since() + ", by " + p.by() + ")").orElse("none")));
        if (versions.isEmpty()) {
            return sb.toString();
        }
        sb.append(String.format("  %-7s %-10s %-7s %-20s %-8s %-8s %-6s %-8s %-30s %s%n", "version", "status", "parent",
                "created", "linear", "knn", "epochs", "train s", "images (train/test)", "gate"));
        java.util.Collections.reverse(versions);
        for (String v : versions) {
            String mark = champ.isPresent() && champ.get().version().equals(v) ? "*" : " ";
            if (!reg.exists(v)) {
                sb.append(String.format("%s %-7s %-10s (no version.json: a cycle died before it wrote one)%n", mark, v, "?"));
                continue;
            }
            JsonNode r = reg.record(v);
            JsonNode counts = r.path("data").path("counts");
            String score = r.path("holdout").path("score_split").asText("test");
            sb.append(String.format(Locale.ROOT, "%s %-7s %-10s %-7s %-20s %-8s %-8s %-6s %-8s %-30s %s%n", mark, v,
                    r.path("status").asText("?"), r.path("parent").asText("-").equals("null") ? "-" : r.path("parent").asText("-"),
                    r.path("created").asText(""), num(r.path("metrics").path("linear_top1")),
                    num(r.path("metrics").path("knn_top1")), r.path("training").path("epochs").asText("-"),
                    r.path("training").has("seconds") ? String.format(Locale.ROOT, "%.0f", r.path("training").path("seconds").asDouble()) : "-",
                    counts.isMissingNode() ? "-" : counts.path("train").asText("?") + "/" + counts.path(score).asText("?"),
                    r.has("error") ? "error: " + r.path("error").asText() : r.path("gate").path("reason").asText("")));
        }
        return sb.toString();
    }

    private static String num(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.4f", n.asDouble()) : "-";
    }

    static String show(ModelRegistry reg, String version) {
        JsonNode r = reg.record(version);
        Optional<ModelRegistry.Pointer> champ = reg.champion();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s in %s%s%n", version, reg.dir(version),
                champ.isPresent() && champ.get().version().equals(version)
                        ? " (champion since " + champ.get().since() + ", by " + champ.get().by() + ": " + champ.get().reason() + ")"
                        : ""));
        sb.append(ModelRegistry.json(r)).append('\n');
        return sb.toString();
    }
}
