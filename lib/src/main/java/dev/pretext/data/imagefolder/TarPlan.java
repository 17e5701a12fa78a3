package dev.pretext.data.imagefolder;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;

import dev.pretext.UserError;
import dev.pretext.data.ImageRows;
import dev.pretext.data.TarEntries;
import dev.pretext.data.TarEntry;

/**
 * Plans and reads a tar input as streams, never unpacking it.
 *
 * <p>The driver reads only the member headers, seeking over the data ({@code skip} on a Hadoop
 * stream is a seek): members that are tars become one task each (ILSVRC-2012's train tar holds one
 * tar per class: 1,000 tasks of about 140 MB), and the other members are cut into byte ranges of
 * about {@code tarBytesPerTask}, cut at header offsets. The driver keeps the task list, the class
 * names and the split names, not per-file metadata. Each executor task seeks to its offset and
 * streams its members. A damaged archive (a truncated member, a bad header checksum) is one bad
 * input, found again by the task whose range holds it; the stream cannot be trusted after it, so
 * reading stops there. Under FAIL the driver's scan already stops the ingest on it.
 */
final class TarPlan {
    /** ImageNet's mean JPEG size, to estimate image counts inside nested tars for the shard count. */
    private static final long TYPICAL_IMAGE_BYTES = 110_000;

    private TarPlan() {
    }

    static ImageFolderIngest.Planned plan(JavaSparkContext jsc, FolderLister files, FileStatus tar,
                                          ImageFolderSettings settings, Map<String, LabelsCsv> labels, QuarantineLog log) {
        String uri = tar.getPath().toString();
        String archive = tar.getPath().getName();
        FolderLayout layout = new FolderLayout(settings.defaultSplit());
        List<TarUnit> units = new ArrayList<>();
        TreeSet<String> classes = new TreeSet<>();
        List<String> splits = new ArrayList<>();
        long rangeStart = 0;
        long plainMembers = 0;
        long nestedBytes = 0;
        long membersInRange = 0;
        boolean damaged = false;
        try (InputStream in = files.open(uri, 0); TarEntries t = new TarEntries(in, archive)) {
            while (true) {
                TarEntry e;
                try {
                    e = t.next();
                } catch (TarEntries.TarException x) {
                    // under SKIP the task whose range holds the damage finds it again and quarantines it
                    log.failOnDriver(source(t, x), reason(x));
                    damaged = true;
                    break;
                }
                if (e == null) {
                    break;
                }
                if (e.headerOffset() - rangeStart >= settings.tarBytesPerTask() && membersInRange > 0) {
                    units.add(TarUnit.range(rangeStart, e.headerOffset()));
                    rangeStart = e.headerOffset();
                    membersInRange = 0;
                }
                if (e.isTar()) {
                    Placement p = layout.place(e.name());
                    String cls = e.fileName().substring(0, e.fileName().length() - 4);
                    units.add(TarUnit.nested(e, p.split(), cls));
                    note(splits, p.split());
                    if (!"unlabeled".equals(p.split())) {
                        classes.add(cls);
                    }
                    nestedBytes += e.size();
                } else {
                    Placement p = layout.place(e.name());
                    note(splits, p.split());
                    if (p.className() != null && !"unlabeled".equals(p.split())) {
                        classes.add(p.className());
                    }
                    plainMembers++;
                    membersInRange++;
                }
            }
        } catch (IOException ex) {
            throw new UserError("cannot read tar " + uri + ": " + FolderLister.describe(ex));
        }
        // the last range runs to the end, so that damage the scan stopped at is found again and quarantined
        units.add(TarUnit.range(rangeStart, Long.MAX_VALUE));
        if (splits.isEmpty() && !damaged) {
            throw new UserError("tar " + uri + " holds no files; expected train/<class>/<image>, a tar per class,"
                    + " or a flat folder of images with a labels CSV");
        }
        if (splits.isEmpty()) {
            splits.add(settings.defaultSplit());
        }
        splits.sort(java.util.Comparator.comparingInt(FolderLayout.SPLITS::indexOf));
        java.util.function.Function<ClassIndex, JavaRDD<Row>> rows = index -> {
            ImageConverter converter = new ImageConverter(settings, index, labels);
            return jsc.parallelize(units, units.size()).mapPartitions(it -> {
                List<Row> out = new ArrayList<>();
                while (it.hasNext()) {
                    TarUnit u = it.next();
                    readUnit(files, uri, archive, layout, converter, u, log, out);
                }
                return out.iterator();
            });
        };
        long n = plainMembers + nestedBytes / TYPICAL_IMAGE_BYTES;
        long estimate = ImageFolderIngest.estimateOutputBytes(settings, n, tar.getLen());
        boolean nested = units.stream().anyMatch(u -> u.nested() != null);
        return new ImageFolderIngest.Planned(uri, rows, () -> log.inputsInUnits(uri), List.copyOf(splits), classes,
                tar.getLen(), estimate, nested ? "tar-of-tars" : "tar", () -> { });
    }

    private static void note(List<String> splits, String split) {
        if (!splits.contains(split)) {
            splits.add(split);
        }
    }

    /** On an executor: every member of a unit to a row or a quarantined input. */
    private static void readUnit(FolderLister files, String uri, String archive, FolderLayout layout,
                                 ImageConverter converter, TarUnit u, QuarantineLog log, List<Row> out) throws IOException {
        long seen = 0;
        try (InputStream in = files.open(uri, u.nested() != null ? u.nested().dataOffset() : u.from())) {
            TarEntries t = u.nested() != null ? TarEntries.nested(in, u.nested()) : new TarEntries(in, archive, u.from());
            while (true) {
                TarEntry e;
                try {
                    e = t.next();
                } catch (TarEntries.TarException x) {
                    // damage between members: one bad input, and nothing after it can be trusted
                    seen++;
                    log.bad(new dev.pretext.data.QuarantinedItem(source(t, x), reason(x)));
                    break;
                }
                if (e == null || (u.nested() == null && e.headerOffset() >= u.to())) {
                    break;
                }
                if (u.nested() == null && e.isTar()) {
                    continue; // a task of its own
                }
                seen++;
                Placement p = u.nested() != null
                        ? new Placement(u.split(), u.className(), u.split() + "/" + u.className() + "/" + e.name())
                        : layout.place(e.name());
                byte[] bytes;
                try {
                    bytes = t.readAll(ImageFolderIngest.MAX_FILE_BYTES);
                } catch (TarEntries.TarException x) {
                    log.bad(new dev.pretext.data.QuarantinedItem(e.source(), reason(x)));
                    if (x.kind() == TarEntries.TarException.Kind.TOO_LARGE) {
                        continue;
                    }
                    break;
                }
                Outcome o = converter.convert(bytes, p, e.source());
                if (o.isGood()) {
                    out.add(ImageRows.toRow(o.image()));
                } else {
                    log.bad(o.bad());
                }
            }
        }
        log.unitDone(uri + "#" + u.key(), seen);
    }

    private static String source(TarEntries t, TarEntries.TarException e) {
        return e.member() != null ? t.archive() + "/" + e.member() : t.archive() + "@" + e.offset();
    }

    private static String reason(TarEntries.TarException e) {
        String kind = switch (e.kind()) {
            case TRUNCATED -> "truncated tar";
            case BAD_CHECKSUM -> "corrupt tar header";
            case TOO_LARGE -> "tar member too large";
            default -> "unreadable tar";
        };
        return kind + ": " + e.getMessage();
    }
}
