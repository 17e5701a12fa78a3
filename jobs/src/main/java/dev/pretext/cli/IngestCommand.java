package dev.pretext.cli;

import dev.pretext.data.IngestJob;
import dev.pretext.data.IngestResult;
import dev.pretext.data.OnCorrupt;
import dev.pretext.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.util.Locale;
import java.util.Set;

/** {@code ingest}: official binary files to the sharded Parquet images table. */
final class IngestCommand implements Command {
    @Override
    public String name() {
        return "ingest";
    }

    @Override
    public String summary() {
        return "shard CIFAR-10/CIFAR-100/STL-10 binary files into a Parquet images table";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext ingest --dataset cifar10|cifar100|stl10 --input DIR --out TABLE
                                          [--shards N] [--on-corrupt fail|skip] [--overwrite] [--master M]

                Reads the official files on executors and writes the images table (id, split, label,
                label2, height, width, channels, encoding, data, source) as N Parquet shards, with
                _manifest.json (inputs, counts per split, schema version). The table is written to a
                temporary directory and renamed into place only on success. With --on-corrupt skip,
                bad records go to TABLE/_quarantine with the reason, and the manifest reconciles
                records seen = rows written + quarantined. Paths may be file:// or hdfs://.
                """;
    }

    @Override
    public int run(String[] argv) {
        Args a = Args.parse(name(), argv, Set.of("dataset", "input", "out", "shards", "on-corrupt", "master"), Set.of("overwrite"));
        String format = a.require("dataset");
        String input = a.require("input");
        String out = a.require("out");
        int shards = a.intValue("shards", 8);
        OnCorrupt policy = OnCorrupt.parse(a.get("on-corrupt", "fail"));
        SparkSession spark = SparkSessions.getOrCreate(a.get("master", ""), "pretext-ingest");
        try {
            long t0 = System.nanoTime();
            IngestResult r = IngestJob.ingest(spark, format, input, out, shards, policy, a.flag("overwrite"));
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "ingest: %d rows (%s), %d quarantined, into %s in %.1f s (%.0f images/s)%n",
                    r.rows(), r.counts(), r.quarantined(), out, s, r.rows() / s);
            return 0;
        } finally {
            spark.stop();
        }
    }
}
