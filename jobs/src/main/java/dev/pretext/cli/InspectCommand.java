package dev.pretext.cli;

import dev.pretext.data.ContactSheet;
import dev.pretext.data.TableInspector;
import dev.pretext.patches.PatchesTable;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code inspect}: what a table holds, and a contact sheet of its images. */
@Command(name = "inspect", showDefaultValues = true,
        header = "schema, counts per split and class, bytes, and a contact-sheet PNG of a table",
        description = """
                Prints the table's manifest (stage, format, schema version), its Parquet schema, the
                rows per split and per class, and its size on disk. For tables with pixels (images,
                views, patches: each grid drawn apart) it writes a contact sheet of N seeded random
                samples to FILE. TABLE may be hdfs://.
                """)
final class InspectCommand extends PretextCommand {
    @Parameters(index = "0", paramLabel = "TABLE", description = "The table directory.")
    String table;

    @Option(names = "--png", paramLabel = "FILE",
            description = "The contact sheet (default: <table name>-contact.png in the current directory).")
    Path png;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "64", description = "Samples on the sheet.")
    int samples;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the sample.")
    int seed;

    @Option(names = "--master", paramLabel = "M", description = "Spark master.")
    String master;

    @Override
    public Integer call() {
        SparkSession spark = SparkSessions.getOrCreate(master == null ? "" : master, "pretext-inspect");
        try {
            TableInspector.Inspection in = TableInspector.inspect(spark, table, samples, seed);
            if (PatchesTable.STAGE.equals(in.manifest().stage())) {
                // one tile per (image, view): its grid exploded, so patches, gaps and jitter show
                in = in.withSamples(PatchesTable.sample(spark, table, samples, seed).stream()
                        .map(p -> p.explodedTile(2)).toList());
            }
            System.out.print(in.toText());
            if (!in.samples().isEmpty()) {
                String name = new org.apache.hadoop.fs.Path(table).getName();
                Path file = png == null ? Path.of(name + "-contact.png") : png;
                int scale = Math.max(1, 96 / Math.max(in.samples().get(0).height(), in.samples().get(0).width()));
                ContactSheet.writePng(ContactSheet.render(in.samples(), 8, scale), file);
                System.out.println("contact sheet: " + file.toAbsolutePath() + " (" + in.samples().size() + " samples)");
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
