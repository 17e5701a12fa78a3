package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README and the --help texts agree with the program: every command of the README's commands
 * table exists, every --flag the README gives a command is in that command's help, every repository
 * path named exists, and every anchor link points at a heading.
 */
class DocsConsistencyTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");
    /** Repository paths: under a top-level folder of this repository; build outputs and placeholders are skipped. */
    private static final Pattern REPO_PATH =
            Pattern.compile("(?<![\\w./:-])((?:conf|deploy|lib|jobs|bin|\\.ci)/[A-Za-z0-9_./<>*{},-]*)");
    private static String readme;
    private static final Map<String, String> HELP = new LinkedHashMap<>();

    @BeforeAll
    static void load() throws IOException {
        readme = Files.readString(ROOT.resolve("README.md"));
        for (String c : commandsInReadme()) {
            Out o = run(c, "--help");
            if (o.status == 0) {
                HELP.put(c, o.out);
            }
        }
    }

    record Out(int status, String out) {
    }

    private static Out run(String... argv) {
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true));
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true));
            return new Out(Main.run(argv), buf.toString());
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
    }

    /** The README section under a "## " heading. */
    private static String section(String heading) {
        int i = readme.indexOf("\n## " + heading + "\n");
        assertTrue(i >= 0, "README has no section " + heading);
        int j = readme.indexOf("\n## ", i + 1);
        return readme.substring(i, j < 0 ? readme.length() : j);
    }

    /** Rows of the commands table: the usage cell of each ("pipeline [--conf FILE]... ..."). */
    private static List<String> commandRows() {
        List<String> rows = new ArrayList<>();
        for (String line : section("Commands").split("\n")) {
            if (line.startsWith("| `")) {
                rows.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        assertTrue(rows.size() >= 10, "the commands table should list the commands: " + rows);
        return rows;
    }

    private static Set<String> commandsInReadme() {
        Set<String> names = new LinkedHashSet<>();
        commandRows().forEach(r -> names.add(r.split(" ")[0]));
        return names;
    }

    /** Every "bin/pretext CMD ..." command line of the README (with its continuation lines), per command. */
    private static Map<String, List<String>> readmeInvocations() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String row : commandRows()) {
            out.computeIfAbsent(row.split(" ")[0], k -> new ArrayList<>()).add(row);
        }
        String[] lines = readme.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = Pattern.compile("bin/pretext ([a-z]+)\\b(.*)").matcher(lines[i]);
            if (!m.find()) {
                continue;
            }
            StringBuilder sb = new StringBuilder(m.group(2));
            for (int k = i; lines[k].endsWith("\\") && k + 1 < lines.length; k++) {
                sb.append(' ').append(lines[k + 1]);
            }
            String text = sb.toString();
            int tick = text.indexOf('`'); // inline code ends the command
            out.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(tick >= 0 ? text.substring(0, tick) : text);
        }
        return out;
    }

    @Test
    void everyCommandInTheReadmeExists() {
        for (String c : commandsInReadme()) {
            assertTrue(HELP.containsKey(c), "README names command '" + c + "', which bin/pretext does not have");
        }
        for (String c : readmeInvocations().keySet()) {
            assertEquals(0, run(c, "--help").status, "README runs 'bin/pretext " + c + "', which does not exist");
        }
    }

    @Test
    void everyFlagTheReadmeGivesACommandIsInItsHelp() {
        List<String> missing = new ArrayList<>();
        readmeInvocations().forEach((cmd, texts) -> {
            String help = run(cmd, "--help").out;
            for (String t : texts) {
                Matcher m = FLAG.matcher(t);
                while (m.find()) {
                    if (!help.contains("--" + m.group(1))) {
                        missing.add(cmd + " --" + m.group(1));
                    }
                }
            }
        });
        assertEquals(List.of(), missing, "flags the README gives but the command's --help does not show");
    }

    /** The commands table's "--out DIR" must read the same in the help ("--out TABLE" there was wrong). */
    @Test
    void theCommandsTableNamesWhatEachFlagTakesAsTheHelpDoes() {
        List<String> differ = new ArrayList<>();
        for (String row : commandRows()) {
            String cmd = row.split(" ")[0];
            String help = run(cmd, "--help").out.replaceAll("\\s+", " ");
            // a metavar (DIR) or a list of choices (fail\|skip)
            Matcher m = Pattern.compile("(--[a-z][a-z0-9-]*) ([A-Za-z0-9:]+(?:\\\\?\\|[A-Za-z0-9:]+)+|[A-Z]+\\b)")
                    .matcher(row);
            while (m.find()) {
                String takes = m.group(2).replace("\\|", "|");
                if (!Pattern.compile(Pattern.quote(m.group(1) + " " + takes) + "(?![\\w|:])").matcher(help).find()) {
                    differ.add(cmd + " " + m.group(1) + " " + takes);
                }
            }
        }
        assertEquals(List.of(), differ, "the README's commands table and --help disagree on what these flags take");
    }

    @Test
    void everyRepositoryPathNamedExists() throws IOException {
        Map<String, String> texts = new LinkedHashMap<>();
        texts.put("README.md", readme);
        texts.put("deploy/README.md", Files.readString(ROOT.resolve("deploy/README.md")));
        texts.put("deploy/submit.sh", Files.readString(ROOT.resolve("deploy/submit.sh")));
        texts.put("usage", run("--help").out);
        for (String c : HELP.keySet()) {
            texts.put(c + " --help", HELP.get(c));
        }
        texts.put("quickstart.conf", Files.readString(
                ROOT.resolve("lib/src/main/resources/pretext/experiments/quickstart.conf")));
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, String> e : texts.entrySet()) {
            Matcher m = REPO_PATH.matcher(e.getValue());
            while (m.find()) {
                String p = m.group(1).replaceAll("[.,:]+$", "");
                if (p.matches(".*[<>*{}].*") || p.contains("/target/") || p.endsWith("/target")) {
                    continue; // a placeholder or a build output
                }
                checked++;
                if (!Files.exists(ROOT.resolve(p))) {
                    missing.add(e.getKey() + ": " + p);
                }
            }
            // README sections named in words: README "Quickstart"
            Matcher sec = Pattern.compile("README \"([^\"]+)\"").matcher(e.getValue());
            while (sec.find()) {
                if (!Pattern.compile("(?m)^#{1,6} " + Pattern.quote(sec.group(1)) + "$").matcher(readme).find()) {
                    missing.add(e.getKey() + ": README section \"" + sec.group(1) + "\"");
                }
            }
            // embedded resources named as pretext/...: on the classpath
            Matcher r = Pattern.compile("(?<![\\w/])(pretext/(?:experiments|datasets|methods)/[a-z0-9-]+\\.conf)")
                    .matcher(e.getValue());
            while (r.find()) {
                if (getClass().getClassLoader().getResource(r.group(1)) == null) {
                    missing.add(e.getKey() + ": resource " + r.group(1));
                }
            }
        }
        assertTrue(checked > 10, "expected to find repository paths, found " + checked);
        assertEquals(List.of(), missing, "paths named in the docs that do not exist");
    }

    @Test
    void everyAnchorLinkMatchesAHeading() {
        Set<String> anchors = new LinkedHashSet<>();
        for (String line : readme.split("\n")) {
            Matcher h = Pattern.compile("^#{1,6} (.+)$").matcher(line);
            if (h.find()) {
                anchors.add(slug(h.group(1)));
            }
        }
        List<String> broken = new ArrayList<>();
        Matcher m = Pattern.compile("\\]\\(#([^)]+)\\)").matcher(readme);
        int links = 0;
        while (m.find()) {
            links++;
            if (!anchors.contains(m.group(1))) {
                broken.add("#" + m.group(1));
            }
        }
        assertTrue(links > 5, "expected the README's contents links");
        assertEquals(List.of(), broken, "anchor links without a heading; headings give " + anchors);
    }

    /** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
    static String slug(String heading) {
        return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }
}
