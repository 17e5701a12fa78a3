package dev.pretext.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the one SparkSession a Pretext command uses. The master comes from {@code spark.master}
 * in the config when given (local runs, tests); under spark-submit it is left to spark-submit.
 */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * @param master {@code local[2]}, {@code yarn}, ... or empty/null to keep what spark-submit set
     *               (local[*] when nothing set one)
     * @param app    application name shown in the Spark UI
     */
    public static SparkSession getOrCreate(String master, String app) {
        return SparkSession.builder().config(conf(master, app)).getOrCreate();
    }

    /** The session's configuration: what spark-submit set (system properties), with Pretext's settings. */
    static SparkConf conf(String master, String app) {
        SparkConf conf = new SparkConf(true).setAppName(app);
        if (master != null && !master.isBlank()) {
            conf.setMaster(master);            // an explicit spark.master in the config wins
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");        // neither the config nor spark-submit chose one
        }
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        // ND4J arrays and Java records through Spark's Kryo (nd4j-kryo's own kryo jar is excluded).
        conf.setIfMissing("spark.kryo.registrator", PretextKryoRegistrator.class.getName());
        conf.setIfMissing("spark.ui.enabled", "false");
        // Spark's console bar redraws stderr with carriage returns from its own thread, over Pretext's
        // training progress and into cluster logs; Pretext prints its own (TaskProgress, ProgressLine).
        conf.set("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        // executors' threads and JVM flags, whatever launched this driver (see ExecutorSettings)
        for (String note : ExecutorSettings.apply(conf)) {
            System.err.println("spark: note: " + note);
        }
        if (conf.get("spark.master", "").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        return conf;
    }
}
