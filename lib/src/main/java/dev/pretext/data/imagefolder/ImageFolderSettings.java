package dev.pretext.data.imagefolder;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.pretext.UserError;
import dev.pretext.data.ImageEncoder;
import dev.pretext.data.ResizePolicy;

/**
 * How an image folder or tar is ingested (config section {@code ingest}, see reference.conf).
 *
 * @param name           dataset name, the first part of every row id ({@code imagenet/train/n01440764/x.JPEG})
 * @param resize         {@code keep}, {@code shorter:S} (shorter side to S, centre crop S x S) or {@code fixed:S}
 * @param encoder        how rows store pixels ({@code jpeg} with a quality, or {@code png})
 * @param maxPixels      inputs with more pixels (width x height, read from the header) are bad inputs
 * @param labelsCsv      labels of flat folders ({@code file,class}); empty: none
 * @param defaultSplit   split of files outside any split folder (and of a tar of per-class tars)
 * @param shards         Parquet files of the table; 0: one per {@code shardBytes} of input (at least one)
 * @param shardBytes     target bytes per shard when shards = 0
 * @param rowGroupBytes  Parquet row-group size
 * @param filesPerTask   image files one Spark task decodes
 * @param tarBytesPerTask bytes of a plain tar one Spark task reads
 */
public record ImageFolderSettings(String name, ResizePolicy resize, ImageEncoder encoder, long maxPixels,
                                  String labelsCsv, String defaultSplit, int shards, long shardBytes,
                                  long rowGroupBytes, int filesPerTask, long tarBytesPerTask) implements Serializable {

    public ImageFolderSettings {
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new UserError("ingest.name '" + name + "' must be a non-empty name without '/'");
        }
        if (maxPixels < 1) {
            throw new UserError("ingest.max-pixels must be >= 1 (got " + maxPixels + ")");
        }
        if (!FolderLayout.isSplit(defaultSplit)) {
            throw new UserError("ingest.split '" + defaultSplit + "' is not a split; valid: " + FolderLayout.SPLITS);
        }
        if (shards < 0) {
            throw new UserError("shards must be >= 0 (0: automatic), got " + shards);
        }
        if (shardBytes < 1 << 20 || rowGroupBytes < 1 << 20) {
            throw new UserError("ingest.shard-mb and ingest.row-group-mb must be >= 1");
        }
        if (filesPerTask < 1 || tarBytesPerTask < 1) {
            throw new UserError("ingest.files-per-task and ingest.tar-mb-per-task must be >= 1");
        }
        labelsCsv = labelsCsv == null ? "" : labelsCsv;
    }

    /** Defaults of reference.conf. */
    public static ImageFolderSettings defaults(String name) {
        return new ImageFolderSettings(name, ResizePolicy.keep(), ImageEncoder.of("jpeg", 90), 89_478_485L, "",
                "train", 0, 256L << 20, 64L << 20, 500, 128L << 20);
    }

    /**
     * The settings the ingest.* config keys give for {@code input}; an empty ingest.name becomes the
     * input's last path component without .tar ({@code /data/imagenet} gives {@code imagenet}).
     */
    public static ImageFolderSettings of(dev.pretext.config.PretextConfig cfg, String input, int shards) {
        String first = input.split(",")[0].trim().replaceAll("=(train|val|test|unlabeled)$", "");
        String name = cfg.ingestName.isEmpty() ? defaultName(first) : cfg.ingestName;
        return new ImageFolderSettings(name, ResizePolicy.parse(cfg.ingestResize),
                ImageEncoder.of(cfg.ingestEncoding, cfg.ingestJpegQuality), cfg.ingestMaxPixels, cfg.ingestLabels,
                cfg.ingestSplit, shards, (long) cfg.ingestShardMb << 20, (long) cfg.ingestRowGroupMb << 20,
                cfg.ingestFilesPerTask, (long) cfg.ingestTarMbPerTask << 20);
    }

    static String defaultName(String input) {
        String s = input.replaceAll("/+$", "");
        String n = s.substring(s.lastIndexOf('/') + 1).replaceAll("(?i)\\.tar$", "");
        return n.isEmpty() || n.contains(":") ? "images" : n;
    }

    /** These settings for an input whose files outside split folders belong to {@code split}. */
    public ImageFolderSettings withDefaultSplit(String split) {
        return new ImageFolderSettings(name, resize, encoder, maxPixels, labelsCsv, split, shards, shardBytes,
                rowGroupBytes, filesPerTask, tarBytesPerTask);
    }

    /** What the manifest records. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("resize", resize.toString());
        m.put("encoding", encoder.encoding());
        if ("jpeg".equals(encoder.encoding())) {
            m.put("jpeg_quality", encoder.quality());
        }
        m.put("max_pixels", maxPixels);
        m.put("default_split", defaultSplit);
        m.put("row_group_bytes", rowGroupBytes);
        if (!labelsCsv.isEmpty()) {
            m.put("labels_csv", labelsCsv);
        }
        return m;
    }
}
