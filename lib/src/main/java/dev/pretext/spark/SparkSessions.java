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
     * @param master {@code local[2]}, {@code yarn}, ... or null to keep whatever spark-submit set
     * @param app    application name shown in the Spark UI
     */
    public static SparkSession getOrCreate(String master, String app) {
        SparkConf conf = new SparkConf(true).setAppName(app);
        if (master != null && !master.isBlank() && !conf.contains("spark.master")) {
            conf.setMaster(master);
        } else if (master != null && !master.isBlank() && master.startsWith("local")) {
            conf.setMaster(master);
        }
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        // ND4J arrays through Spark's Kryo (nd4j-kryo's registrator; its own kryo jar is excluded).
        conf.setIfMissing("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.sql.shuffle.partitions", "8");
        if (conf.get("spark.master", "").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
