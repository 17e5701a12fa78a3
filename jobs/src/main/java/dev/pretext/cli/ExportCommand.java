package dev.pretext.cli;

import dev.pretext.UserError;
import dev.pretext.export.FeaturesExport;
import dev.pretext.spark.SparkSessions;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.Set;

/** {@code export}: a features table as .npy (or CSV) files for Python. */
final class ExportCommand implements Command {
    @Override
    public String name() {
        return "export";
    }

    @Override
    public String summary() {
        return "a features table as NumPy .npy + labels CSV (or CSV) per split, for Python";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext export --features TABLE --out DIR [--format npy|csv] [--layer L]
                                          [--max-mb N] [--overwrite] [--master M]

                Writes the features table TABLE (e.g. runs/<id>/features/pretrained) to DIR, one set
                of files per split, rows in id order:
                  npy (default): <split>.npy, rows x dim, little-endian float32, C order (NumPy format
                       1.0: numpy.load reads it, no pickle), and <split>_labels.csv (row,id,label)
                  csv:           <split>.csv (id,label,f0,f1,...)
                and DIR/export.json (source, layer, dimension, rows per split, files). A table with
                several layers needs --layer. The rows stream through this process one at a time;
                an export larger than --max-mb (default %d MB, estimated from rows x dimension) is
                refused before anything is written. DIR must be new or empty (or --overwrite); the
                files are written to a temporary directory beside it and renamed into place at the end.
                  e.g. bin/pretext export --features runs/qs/features/pretrained --out /tmp/f
                       python3 -c "import numpy; x = numpy.load('/tmp/f/test.npy'); print(x.shape)"
                """.formatted(FeaturesExport.DEFAULT_MAX_MB);
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("features", "out", "format", "layer", "max-mb", "master"),
                Set.of("overwrite"));
        if (!a.positional().isEmpty()) {
            throw new UserError("export: unexpected argument '" + a.positional().get(0) + "' (see export --help)");
        }
        String table = a.require("features");
        Path out = Path.of(a.require("out"));
        FeaturesExport.Format format = FeaturesExport.Format.parse(a.get("format", "npy"));
        int maxMb = a.intValue("max-mb", (int) FeaturesExport.DEFAULT_MAX_MB);
        if (maxMb < 1) {
            throw new UserError("export: --max-mb must be at least 1, got " + maxMb);
        }
        FeaturesExport.checkTable(table, new Configuration());
        FeaturesExport.checkOut(out, a.flag("overwrite"));
        SparkSession spark = SparkSessions.getOrCreate(a.get("master", ""), "pretext-export");
        try {
            FeaturesExport.Result r = FeaturesExport.run(spark, table, a.get("layer"), format, out,
                    (long) maxMb << 20, a.flag("overwrite"));
            System.out.printf("export: %s (layer %s, %d values per row) -> %s: %s rows, %.1f MB%n", table, r.layer(),
                    r.dim(), r.out(), r.rows(), r.bytes() / 1048576.0);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
