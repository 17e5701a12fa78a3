package dev.pretext.cli;

import dev.pretext.data.ContactSheet;
import dev.pretext.data.TableInspector;
import dev.pretext.patches.PatchesTable;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.Set;

/** {@code inspect}: what a table holds, and a contact sheet of its images. */
final class InspectCommand implements Command {
    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String summary() {
        return "schema, counts per split and class, bytes, and a contact-sheet PNG of a table";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext inspect TABLE [--png FILE] [--samples N] [--seed S] [--master M]

                Prints the table's manifest (stage, format, schema version), its Parquet schema, the
                rows per split and per class, and its size on disk. For tables with pixels (images,
                views, patches: each grid drawn apart) it writes a contact sheet of N seeded random samples (default 64) to FILE
                (default <table name>-contact.png in the current directory). TABLE may be hdfs://.
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of("png", "samples", "seed", "master"), Set.of());
        if (a.positional().size() != 1) {
            throw new dev.pretext.UserError("inspect: give exactly one table directory (see inspect --help)");
        }
        String table = a.positional().get(0);
        int samples = a.intValue("samples", 64);
        SparkSession spark = SparkSessions.getOrCreate(a.get("master", ""), "pretext-inspect");
        try {
            int seed = a.intValue("seed", 1);
            TableInspector.Inspection in = TableInspector.inspect(spark, table, samples, seed);
            if (PatchesTable.STAGE.equals(in.manifest().stage())) {
                // one tile per (image, view): its grid exploded, so patches, gaps and jitter show
                in = in.withSamples(PatchesTable.sample(spark, table, samples, seed).stream()
                        .map(p -> p.explodedTile(2)).toList());
            }
            System.out.print(in.toText());
            if (!in.samples().isEmpty()) {
                String name = new org.apache.hadoop.fs.Path(table).getName();
                Path png = Path.of(a.get("png", name + "-contact.png"));
                int scale = Math.max(1, 96 / Math.max(in.samples().get(0).height(), in.samples().get(0).width()));
                ContactSheet.writePng(ContactSheet.render(in.samples(), 8, scale), png);
                System.out.println("contact sheet: " + png.toAbsolutePath() + " (" + in.samples().size() + " samples)");
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
