package dev.pretext.cli;

import java.util.Locale;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
@Command(name = "ingest",
        header = "shard CIFAR-10/100, STL-10 binaries or an image folder/tar into a Parquet images table",
        description = """
                Forms:
                  ingest --dataset cifar10|cifar100|stl10 --input DIR --out TABLE [--shards N]
                         [--on-corrupt fail|skip]
                  ingest --dataset imagefolder --input DIR|FILE.tar[=SPLIT][,...] --out TABLE [--resize ...] ...

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
                folders, e.g. --input train.tar,ILSVRC2012_img_val.tar=val --labels LOC_val_solution.csv.
                JPEG and PNG of any kind (grey, CMYK, 16-bit, palette) become 8-bit RGB, resized by --resize and re-encoded (--encoding, --quality); the
                classes are the sorted class-folder names, the same index in every split, listed in
                the manifest. Folders are listed and images decoded on the executors.
                Defaults come from the ingest.* config keys (shards 0 = automatic).

                With --on-corrupt skip, bad inputs (corrupt, empty, not an image, over --max-pixels,
                a truncated tar member, an unreadable folder) go to TABLE/_quarantine with the reason,
                and the manifest reconciles inputs seen = rows written + quarantined; with fail (the
                default) the first one stops the ingest with its path and reason. Paths may be
                file:// or hdfs://.
                """)
final class IngestCommand extends PretextCommand {
    @Option(names = "--dataset", required = true, paramLabel = "cifar10|cifar100|stl10|imagefolder",
            description = "The input's layout.")
    String dataset;

    @Option(names = "--input", required = true, paramLabel = "DIR|FILE.tar[=SPLIT][,...]",
            description = "The dataset's folder (or, for imagefolder, tars and folders, comma-separated).")
    String input;

    @Option(names = "--out", required = true, paramLabel = "TABLE", description = "The images table to write.")
    String out;

    @Option(names = "--shards", paramLabel = "N",
            description = "Parquet files (default: 8 for the binaries; ingest.shards, 0 = automatic, for imagefolder).")
    Integer shards;

    @Option(names = "--on-corrupt", paramLabel = "fail|skip", defaultValue = "fail",
            description = "A bad input stops the ingest (fail) or goes to TABLE/_quarantine (skip). Default: fail.")
    String onCorrupt;

    @Option(names = "--overwrite", description = "Replace an existing TABLE.")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master (spark.master), e.g. local[2].")
    String master;

    @Option(names = "--resize", paramLabel = "keep|shorter:S|fixed:S", description = "imagefolder: resizing (ingest.resize).")
    String resize;

    @Option(names = "--encoding", paramLabel = "jpeg|png", description = "imagefolder: stored encoding (ingest.encoding).")
    String encoding;

    @Option(names = "--quality", paramLabel = "Q", description = "imagefolder: JPEG quality (ingest.jpeg-quality).")
    String quality;

    @Option(names = "--max-pixels", paramLabel = "P",
            description = "imagefolder: larger images are bad inputs, checked from the header (ingest.max-pixels).")
    String maxPixels;

    @Option(names = "--labels", paramLabel = "CSV", description = "imagefolder: file,class labels of a flat folder (ingest.labels).")
    String labels;

    @Option(names = "--split", paramLabel = "S", description = "imagefolder: the split of files outside split folders (ingest.split).")
    String split;

    @Option(names = "--name", paramLabel = "NAME", description = "imagefolder: the dataset's name in ids (ingest.name).")
    String datasetName;

    @Option(names = "--row-group-mb", paramLabel = "M", description = "imagefolder: Parquet row-group size (ingest.row-group-mb).")
    String rowGroupMb;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        OnCorrupt policy = OnCorrupt.parse(onCorrupt);
        boolean image = ImageFolderIngest.FORMAT.equals(dataset);
        if (!PretextConfig.FORMATS.contains(dataset)) {
            throw new UserError("ingest: --dataset '" + dataset + "' is not known; use one of "
                    + String.join("|", PretextConfig.FORMATS));
        }
        CliTables.checkOutput(out, overwrite);
        PretextConfig cfg = ConfigArgs.load(config, ConfigArgs.keys("spark.master", master, "ingest.name", datasetName,
                "ingest.resize", resize, "ingest.encoding", encoding, "ingest.jpeg-quality", quality,
                "ingest.max-pixels", maxPixels, "ingest.labels", labels, "ingest.split", split,
                "ingest.row-group-mb", rowGroupMb));
        SparkSession spark = SparkSessions.getOrCreate(cfg.sparkMaster, "pretext-ingest");
        try (TaskProgress progress = TaskProgress.start(spark.sparkContext(), "ingest")) {
            long t0 = System.nanoTime();
            IngestResult r = image
                    ? ImageFolderIngest.run(spark, input, out, settings(cfg, input, shards), policy, overwrite)
                    : IngestJob.ingest(spark, dataset, input, out, shards == null ? 8 : shards, policy, overwrite);
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "ingest: %d rows (%s), %d quarantined, into %s in %.1f s (%.0f images/s)%n",
                    r.rows(), r.counts(), r.quarantined(), out, s, r.rows() / s);
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** @param shards --shards, or null for ingest.shards */
    static ImageFolderSettings settings(PretextConfig cfg, String input, Integer shards) {
        return ImageFolderSettings.of(cfg, input, shards == null ? cfg.ingestShards : shards);
    }
}
