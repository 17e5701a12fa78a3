package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * The command line as picocli builds it: parsing into the command objects, the generated help with
 * defaults, suggestions for typos, the completion script (run in a real bash), and the exit codes.
 * None of these start Spark.
 */
class CommandLineTest {
    @TempDir
    Path dir;

    record Out(int status, String out, String err) {
    }

    static Out run(String... argv) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = Main.run(argv);
            return new Out(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Parses {@code argv} into the command objects without running anything. */
    private static <T> T parsed(Class<T> type, String... argv) {
        CommandLine.ParseResult r = Main.commandLine().parseArgs(argv);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return type.cast(r.commandSpec().userObject());
    }

    @Test
    void optionsLandInTheCommandsFieldsInBothSpellings() {
        IngestCommand i = parsed(IngestCommand.class, "ingest", "--dataset", "imagefolder", "--input=/d/train.tar,/d/val.tar=val",
                "--out", "/t/im", "--resize", "shorter:64", "--on-corrupt=skip", "--overwrite",
                "--conf", "a.conf", "--conf", "b.conf", "--set", "ingest.files-per-task=8", "--set=x.y=\"z w\"");
        assertEquals("imagefolder", i.dataset);
        assertEquals("/d/train.tar,/d/val.tar=val", i.input);
        assertEquals("shorter:64", i.resize);
        assertEquals("skip", i.onCorrupt);
        assertTrue(i.overwrite);
        assertEquals(null, i.shards, "not given: the config key decides");
        assertEquals(List.of("a.conf", "b.conf"), i.config.confs, "--conf is repeatable, in order");
        assertEquals(List.of("ingest.files-per-task=8", "x.y=\"z w\""), i.config.sets);

        SynthCommand s = parsed(SynthCommand.class, "synth", "--format", "cifar10", "--out", "d");
        assertEquals(5000, s.train);
        assertEquals(1000, s.test);
        assertEquals(7L, s.seed);
        // a repeated option: the last one wins, as before picocli
        assertEquals(3, parsed(SynthCommand.class, "synth", "--format", "stl10", "--out", "d", "--train", "2",
                "--train", "3").train);

        ReportCommand r = parsed(ReportCommand.class, "report", "runs/a", "runs/b", "--out", "cmp.html");
        assertEquals(List.of(Path.of("runs/a"), Path.of("runs/b")), r.runs);
        DescribeCommand d = parsed(DescribeCommand.class, "describe", "--images", "i", "--out", "o",
                "--teacher", "m1.zip", "--teacher=m2.zip:embedding=t2");
        assertEquals(List.of("m1.zip", "m2.zip:embedding=t2"), d.teacherSpecs);
        DescribeBench b = parsed(DescribeBench.class, "bench", "describe", "--images", "3");
        assertEquals(3, b.n);
        assertEquals(96, b.size);
        assertEquals("bench describe", b.name());
    }

    @Test
    void optionsThatStandForConfigKeysOverrideTheFilesAndYieldToSet() {
        PatchesCommand p = parsed(PatchesCommand.class, "patches", "--images", "i", "--out", "o", "--grid", "3",
                "--set", "patches.gap=5");
        var cfg = ConfigArgs.load(p.config, ConfigArgs.keys("patches.grid", p.grid, "patches.gap", p.gap,
                "patches.jitter", p.jitter));
        assertEquals(3, cfg.patchGrid);
        assertEquals(5, cfg.patchGap);
        assertEquals(0, cfg.patchJitter, "an option not given keeps the configured value");
        // --set wins over an option for the same key, as before
        PatchesCommand q = parsed(PatchesCommand.class, "patches", "--images", "i", "--out", "o", "--grid", "3",
                "--set", "patches.grid=2");
        assertEquals(2, ConfigArgs.load(q.config, ConfigArgs.keys("patches.grid", q.grid)).patchGrid);
    }

    @Test
    void helpIsGeneratedWithDefaultsForTheProgramAndEveryCommand() {
        Out top = run("--help");
        assertEquals(0, top.status);
        for (String c : List.of("quickstart", "pipeline", "synth", "ingest", "augment", "pretrain", "features", "probe",
                "finetune", "patches", "describe", "inspect", "bench", "methods", "compare", "report", "export",
                "completion")) {
            assertTrue(top.out.contains("\n  " + c + " "), "the command list lacks " + c + ":\n" + top.out);
            Out h = run(c, "--help");
            assertEquals(0, h.status, c);
            assertTrue(h.out.contains("\nUsage: pretext " + c + " "), h.out);
            assertTrue(h.out.contains("-h, --help"), h.out);
            assertEquals("", h.err, c);
        }
        assertEquals(2, run().status, "no command: the usage and status 2");
        assertTrue(run().out.contains("Commands:"));
        assertEquals(0, run("help").status);
        Out helpPretrain = run("help", "pretrain");
        assertEquals(0, helpPretrain.status);
        assertTrue(helpPretrain.out.contains("--images TABLE") && helpPretrain.out.contains("--resume"), helpPretrain.out);

        Out synth = run("synth", "-h");
        // options are shown as typed (--out DIR), with their defaults
        assertTrue(synth.out.contains("--format cifar10|cifar100|stl10|imagefolder"), synth.out);
        assertTrue(synth.out.matches("(?s).*--train N\\s+Training images\\.\\s+Default: 5000.*"), synth.out);
        assertTrue(synth.out.matches("(?s).*--seed S\\s+The seed\\.\\s+Default: 7.*"), synth.out);
        Out export = run("export", "--help");
        assertTrue(export.out.matches("(?s).*--max-mb N\\s+The largest export, in MB\\.\\s+Default: 2048.*"), export.out);
        Out pipeline = run("pipeline", "--help");
        assertTrue(pipeline.out.contains("--conf FILE") && pipeline.out.contains("--set key=value"), pipeline.out);
        // bench shows its own commands' options too
        Out bench = run("bench", "--help");
        assertTrue(bench.out.contains("pretext bench ingest") && bench.out.contains("--row-groups")
                && bench.out.contains("pretext bench describe") && bench.out.contains("--warmup N"), bench.out);
    }

    @Test
    void aMistypedCommandOrOptionGetsASuggestionAndStatus2() {
        Out o = run("pretrian");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("unknown command 'pretrian'; did you mean 'pretrain'?"), o.err);
        assertEquals("", o.out);

        o = run("injest", "--dataset", "cifar10");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("did you mean 'ingest'?"), o.err);

        o = run("frobnicate");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("unknown command 'frobnicate' (commands: quickstart, pipeline,"), o.err);
        assertFalse(o.err.contains("did you mean"), o.err);

        o = run("pretrain", "--imgaes", "t", "--run", "r");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("error: pretrain: unknown option --imgaes; did you mean --images?"), o.err);

        o = run("bench", "describe", "--threads", "2");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("bench describe: unknown option --threads"), o.err);

        o = run("bench", "ingset");
        assertEquals(2, o.status);
        assertTrue(o.err.contains("bench: unknown command 'ingset'; did you mean 'ingest'?"), o.err);
    }

    @Test
    void userErrorsExitWith2AndNameTheProblem() {
        Out missing = run("synth", "--format", "cifar10");
        assertEquals(2, missing.status);
        assertTrue(missing.err.contains("synth: --out is required (see bin/pretext synth --help)"), missing.err);

        Out notInt = run("synth", "--format", "cifar10", "--out", dir.toString(), "--train", "many");
        assertEquals(2, notInt.status);
        assertTrue(notInt.err.contains("--train") && notInt.err.contains("many"), notInt.err);

        Out noValue = run("synth", "--format", "cifar10", "--out");
        assertEquals(2, noValue.status);
        assertTrue(noValue.err.contains("--out"), noValue.err);

        Out extra = run("methods", "extra");
        assertEquals(2, extra.status);
        assertTrue(extra.err.contains("methods: unexpected argument 'extra'"), extra.err);

        // a UserError from the command itself, as before picocli
        Out format = run("synth", "--format", "mnist", "--out", dir.resolve("s").toString());
        assertEquals(2, format.status);
        assertTrue(format.err.contains("error: synth: --format 'mnist' is not known; use one of"), format.err);
        assertFalse(Files.exists(dir.resolve("s")));

        // --set keeps its validation (the config loader's), without Spark
        Out badKey = run("probe", "--features", dir.toString(), "--set", "eval.nope=1");
        assertEquals(2, badKey.status);
        assertTrue(badKey.err.contains("unknown config key 'eval.nope'"), badKey.err);
        Out badSet = run("probe", "--features", dir.toString(), "--set", "novalue");
        assertEquals(2, badSet.status);
        assertTrue(badSet.err.contains("--set expects key=value, got 'novalue'"), badSet.err);
        Out noConf = run("probe", "--features", dir.toString(), "--conf", dir.resolve("none.conf").toString());
        assertEquals(2, noConf.status);
        assertTrue(noConf.err.contains("config file not found"), noConf.err);

        Out shell = run("completion", "fish");
        assertEquals(2, shell.status);
        assertTrue(shell.err.contains("unknown shell 'fish'"), shell.err);
    }

    @Test
    void aCommandRunsAndExitsWith0() throws Exception {
        Path out = dir.resolve("cifar");
        Out o = run("synth", "--format=cifar10", "--out", out.toString(), "--train", "20", "--test", "10");
        assertEquals(0, o.status, o.err);
        long train = 0;
        for (int k = 1; k <= 5; k++) {
            train += Files.size(out.resolve("data_batch_" + k + ".bin"));
        }
        assertEquals(20L * 3073, train, "20 CIFAR-10 records of 1 + 3072 bytes");
        assertEquals(10L * 3073, Files.size(out.resolve("test_batch.bin")));
    }

    @Test
    void theCompletionScriptCompletesCommandsAndOptionsInBash() throws Exception {
        Out o = run("completion", "bash");
        assertEquals(0, o.status, o.err);
        String script = o.out;
        assertTrue(script.startsWith("#!/usr/bin/env bash"), script.substring(0, 80));
        assertTrue(script.contains("complete -F _complete_pretext") && script.contains("bashcompinit"),
                "bash, and zsh through bashcompinit");
        assertEquals(script, run("completion", "zsh").out, "zsh sources the same script");
        assertEquals(script, run("completion").out, "bash is the default");
        Path file = dir.resolve("pretext-completion.bash");
        Files.writeString(file, script);

        assertEquals(List.of("pretrain"), complete(file, "pretext", "pretr"));
        assertTrue(complete(file, "pretext", "").containsAll(List.of("pipeline", "ingest", "bench", "completion")));
        List<String> ingest = complete(file, "bin/pretext", "ingest", "--");
        assertTrue(ingest.containsAll(List.of("--dataset", "--input", "--out", "--on-corrupt", "--conf", "--set")), ingest.toString());
        assertEquals(List.of("--images"), complete(file, "pretext", "pretrain", "--im"));
        assertEquals(List.of("describe", "ingest", "memory", "profile"), complete(file, "pretext", "bench", "").stream()
                .filter(w -> !w.startsWith("-")).sorted().toList());
    }

    /** What bash's completion function offers for the words typed so far (the last one being completed). */
    private List<String> complete(Path script, String... words) throws Exception {
        StringBuilder arr = new StringBuilder();
        for (String w : words) {
            arr.append(" '").append(w).append('\'');
        }
        String cmd = "source '" + script + "'; COMP_WORDS=(" + arr + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _complete_pretext;"
                + " printf '%s\\n' \"${COMPREPLY[@]}\"";
        // compopt complains outside a real completion (no readline); what it would set does not matter here
        Process p = new ProcessBuilder("bash", "-c", cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void suggestionsAreTheNearestNamesWithinAThirdOfTheLength() {
        List<String> names = List.of("pretrain", "pipeline", "probe", "patches", "ingest", "inspect");
        assertEquals(List.of("pretrain"), Suggestions.closest("pretrian", names));
        assertEquals(List.of("pretrain"), Suggestions.closest("pretain", names));
        assertEquals(List.of("inspect"), Suggestions.closest("insgect", names));
        assertEquals(List.of("probe", "prod"), Suggestions.closest("prob", List.of("probe", "prod", "pipeline")),
                "ties are all kept, in the given order");
        assertEquals(List.of(), Suggestions.closest("zzz", names));
        assertEquals(1, Suggestions.distance("pretrian", "pretrain"), "a swap of neighbours is one edit");
        assertEquals(2, Suggestions.distance("probe", "prob_x"));
        assertEquals(0, Suggestions.distance("x", "x"));
    }
}
