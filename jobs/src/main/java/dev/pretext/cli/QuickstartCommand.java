package dev.pretext.cli;

import dev.pretext.config.PretextConfig;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code quickstart}: the embedded experiment on synthetic data, whole pipeline, local[*]. */
@Command(name = "quickstart",
        header = "synthetic CIFAR-10-format data through the whole pipeline (about 10 minutes on 2 cores)",
        description = """
                Writes a seeded synthetic dataset in the CIFAR-10 binary format, ingests it, pre-trains
                SimCLR (the embedded experiment pretext/experiments/quickstart.conf: conv4 backbone,
                5 minute budget), extracts frozen features and fits the linear and kNN probes, beside
                the random-init encoder and raw pixels. Output: runs/<run-id>/ and the summary table.
                """)
final class QuickstartCommand extends PretextCommand {
    @Option(names = "--run-id", paramLabel = "ID", description = "The run's id (default: generated); the same id resumes.")
    String runId;

    @Option(names = "--set", paramLabel = "key=value", description = "Sets one config key; repeatable.")
    List<String> sets = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PretextConfig cfg = ConfigArgs.loadEmbedded("quickstart", ConfigOptions.of(List.of(), sets),
                ConfigArgs.keys("run.id", runId));
        return PipelineCommand.runPipeline(cfg, name(), argv());
    }
}
