package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.export.FeaturesExport;
import dev.pretext.spark.SparkSessions;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code export}: a features table as .npy (or CSV) files for Python. */
@Command(name = "export", showDefaultValues = true,
        header = "a features table as NumPy .npy + labels CSV (or CSV) per split, for Python",
        description = """
                Writes the features table TABLE (e.g. runs/<id>/features/pretrained) to DIR, one set
                of files per split, rows in id order:
                  npy: <split>.npy, rows x dim, little-endian float32, C order (NumPy format
                       1.0: numpy.load reads it, no pickle), and <split>_labels.csv (row,id,label)
                  csv: <split>.csv (id,label,f0,f1,...)
                and DIR/export.json (source, layer, dimension, rows per split, files). A table with
                several layers needs --layer. The rows stream through this process one at a time;
                an export larger than --max-mb (estimated from rows x dimension) is refused before
                anything is written. DIR must be new or empty (or --overwrite); the files are written
                to a temporary directory beside it and renamed into place at the end.
                  e.g. bin/pretext export --features runs/qs/features/pretrained --out /tmp/f
                       python3 -c "import numpy; x = numpy.load('/tmp/f/test.npy'); print(x.shape)"
                """)
final class ExportCommand extends PretextCommand {
    @Option(names = "--features", required = true, paramLabel = "TABLE", description = "The features table.")
    String table;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write.")
    Path out;

    @Option(names = "--format", paramLabel = "npy|csv", defaultValue = "npy", description = "The file format.")
    String format;

    @Option(names = "--layer", paramLabel = "L", description = "The layer, for a table with several.")
    String layer;

    @Option(names = "--max-mb", paramLabel = "N", defaultValue = "" + FeaturesExport.DEFAULT_MAX_MB,
            description = "The largest export, in MB.")
    int maxMb;

    @Option(names = "--overwrite", description = "Replace the files in a non-empty DIR.")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master.")
    String master;

    @Override
    public Integer call() throws Exception {
        FeaturesExport.Format f = FeaturesExport.Format.parse(format);
        if (maxMb < 1) {
            throw new UserError("export: --max-mb must be at least 1, got " + maxMb);
        }
        FeaturesExport.checkTable(table, new Configuration());
        FeaturesExport.checkOut(out, overwrite);
        SparkSession spark = SparkSessions.getOrCreate(master == null ? "" : master, "pretext-export");
        try {
            FeaturesExport.Result r = FeaturesExport.run(spark, table, layer, f, out, (long) maxMb << 20, overwrite);
            System.out.printf("export: %s (layer %s, %d values per row) -> %s: %s rows, %.1f MB%n", table, r.layer(),
                    r.dim(), r.out(), r.rows(), r.bytes() / 1048576.0);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
