package dev.pretext.cli;

import dev.pretext.config.PretextConfig;

import java.util.Map;
import java.util.Set;

/** {@code quickstart}: the embedded experiment on synthetic data, whole pipeline, local[*]. */
final class QuickstartCommand implements Command {
    @Override
    public String name() {
        return "quickstart";
    }

    @Override
    public String summary() {
        return "synthetic CIFAR-10-format data through the whole pipeline (about 10 minutes on 2 cores)";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext quickstart [--run-id ID] [--set key=value]...

                Writes a seeded synthetic dataset in the CIFAR-10 binary format, ingests it, pre-trains
                SimCLR (the embedded experiment pretext/experiments/quickstart.conf: conv4 backbone,
                5 minute budget), extracts frozen features and fits the linear and kNN probes, beside
                the random-init encoder and raw pixels. Output: runs/<run-id>/ and the summary table.
                """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("run-id"), Set.of());
        PretextConfig cfg = ConfigArgs.loadEmbedded("quickstart", a, Map.of("run-id", "run.id"));
        return PipelineCommand.runPipeline(cfg, name(), argv);
    }
}
