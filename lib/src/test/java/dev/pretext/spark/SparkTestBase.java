package dev.pretext.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One local[2] SparkSession per test class (DESIGN.md "Tests"). Extend it; use {@link #spark}. */
public abstract class SparkTestBase {
    protected static SparkSession spark;
    protected static JavaSparkContext jsc;

    @BeforeAll
    static void startSpark() {
        spark = SparkSessions.getOrCreate("local[2]", "pretext-test");
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
            spark = null;
            jsc = null;
        }
    }
}
