package dev.pretext.cli;

import java.util.Map;

import org.apache.hadoop.conf.Configuration;

import dev.pretext.config.PretextConfig;
import dev.pretext.data.Manifest;
import dev.pretext.data.TableCommit;

/** What a command checks about its tables before it starts Spark: outputs free, the input's format. */
final class CliTables {
    private CliTables() {
    }

    /** Hadoop settings before Spark starts: the defaults plus the spark.hadoop.* properties spark-submit set. */
    static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
            String k = String.valueOf(e.getKey());
            if (k.startsWith("spark.hadoop.")) {
                conf.set(k.substring("spark.hadoop.".length()), String.valueOf(e.getValue()));
            }
        }
        return conf;
    }

    /** Refuses an existing output table unless --overwrite, at once instead of after the work. */
    static void checkOutput(String out, boolean overwrite) {
        TableCommit.checkOutput(hadoopConf(), out, overwrite);
    }

    /**
     * The dataset format of a table (cifar10, cifar100, stl10, imagefolder) from its manifest; null
     * when the manifest names none of them. A missing manifest is a UserError naming the table.
     */
    static String format(String table) {
        String f = Manifest.read(hadoopConf(), table).format();
        return PretextConfig.FORMATS.contains(f) ? f : null;
    }
}
