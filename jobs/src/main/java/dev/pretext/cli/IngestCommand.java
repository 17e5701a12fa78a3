package dev.pretext.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.spark.sql.SparkSession;

import dev.pretext.UserError;
import dev.pretext.config.PretextConfig;
import dev.pretext.data.IngestJob;
import dev.pretext.data.IngestResult;
import dev.pretext.data.OnCorrupt;
import dev.pretext.data.imagefolder.ImageFolderIngest;
import dev.pretext.data.imagefolder.ImageFolderSettings;
import dev.pretext.spark.SparkSessions;
import dev.pretext.spark.TaskProgress;

/** {@code ingest}: a dataset's files into an images table. */
final class IngestCommand implements Command {
    /** Options that set ingest.* config keys. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("master", "spark.master");
        KEYS.put("name", "ingest.name");
        KEYS.put("resize", "ingest.resize");
        KEYS.put("encoding", "ingest.encoding");
        KEYS.put("quality", "ingest.jpeg-quality");
        KEYS.put("max-pixels", "ingest.max-pixels");
        KEYS.put("labels", "ingest.labels");
        KEYS.put("split", "ingest.split");
        KEYS.put("row-group-mb", "ingest.row-group-mb");
    }

    @Override
    public String name() {
        return "ingest";
    }

    @Override
    public String summary() {
        return "shard CIFAR-10/100, STL-10 binaries or an image folder/tar into a Parquet images table";
    }

    @Override
    public String help() {
        return """
                usage: bin/pretext ingest --dataset cifar10|cifar100|stl10 --input DIR --out TABLE
                                          [--shards N] [--on-corrupt fail|skip] [--overwrite] [--master M]
                       bin/pretext ingest --dataset imagefolder --input DIR|FILE.tar[=SPLIT][,...] --out TABLE
                                          [--resize keep|shorter:S|fixed:S] [--encoding jpeg|png]
                                          [--quality Q] [--max-pixels P] [--labels CSV] [--split S]
                                          [--name NAME] [--shards N] [--row-group-mb M]
                                          [--on-corrupt fail|skip] [--overwrite] [--conf FILE]... [--set ingest.KEY=V]...

                Writes the images table (id, split, label, label2, height, width, channels, encoding,
                data, source) as N Parquet shards with _manifest.json (inputs, counts per split, schema
                version), into a temporary directory renamed into place only on success.

                cifar10/cifar100/stl10: the official binary files, read on the executors; rows are
                raw uint8 HWC pixels.

                imagefolder: train/<class>/*, val/<class>/*, a flat val/ with a labels CSV
                (file,class; --labels or val/labels.csv), or a folder of <class>/* (split --split).
                A .tar input is read as a stream: ILSVRC-2012's tar of per-class tars (split --split)
                or a tar of such a folder tree. Several inputs, comma-separated, go into one table
                with one class index; PATH=SPLIT sets the split of an input's files outside split
                folders, e.g. --input train.tar,ILSVRC2012_img_val.tar=val --labels LOC_val_solution.csv. JPEG and PNG of any kind (grey, CMYK, 16-bit, palette)
                become 8-bit RGB, resized by --resize and re-encoded (--encoding, --quality); the
                classes are the sorted class-folder names, the same index in every split, listed in
                the manifest. Folders are listed and images decoded on the executors.
                Defaults come from the ingest.* config keys (shards 0 = automatic).

                With --on-corrupt skip, bad inputs (corrupt, empty, not an image, over --max-pixels,
                a truncated tar member, an unreadable folder) go to TABLE/_quarantine with the reason,
                and the manifest reconciles inputs seen = rows written + quarantined; with fail (the
                default) the first one stops the ingest with its path and reason. Paths may be
                file:// or hdfs://.
                """;
    }

    @Override
    public int run(String[] argv) {
        Set<String> valued = new java.util.HashSet<>(KEYS.keySet());
        valued.addAll(Set.of("dataset", "input", "out", "shards", "on-corrupt"));
        Args a = Args.parse(name(), argv, valued, Set.of("overwrite"));
        String format = a.require("dataset");
        String input = a.require("input");
        String out = a.require("out");
        OnCorrupt policy = OnCorrupt.parse(a.get("on-corrupt", "fail"));
        boolean image = ImageFolderIngest.FORMAT.equals(format);
        if (!PretextConfig.FORMATS.contains(format)) {
            throw new UserError("ingest: --dataset '" + format + "' is not known; use one of "
                    + String.join("|", PretextConfig.FORMATS));
        }
        CliTables.checkOutput(out, a.flag("overwrite"));
        PretextConfig cfg = ConfigArgs.load(a, KEYS);
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-ingest");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "ingest")) {
            long t0 = System.nanoTime();
            IngestResult r = image
                    ? ImageFolderIngest.run(spark, input, out, settings(cfg, a, input), policy, a.flag("overwrite"))
                    : IngestJob.ingest(spark, format, input, out, a.intValue("shards", 8), policy, a.flag("overwrite"));
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "ingest: %d rows (%s), %d quarantined, into %s in %.1f s (%.0f images/s)%n",
                    r.rows(), r.counts(), r.quarantined(), out, s, r.rows() / s);
            return 0;
        } finally {
            spark.stop();
        }
    }

    static ImageFolderSettings settings(PretextConfig cfg, Args a, String input) {
        return ImageFolderSettings.of(cfg, input, a.intValue("shards", cfg.ingestShards));
    }
}
