package dev.pretext.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
    @Test
    void sparksConsoleBarIsOffEvenWhenSparkSubmitTurnedItOn() {
        String key = "spark.ui.showConsoleProgress";
        String before = System.getProperty(key);
        System.setProperty(key, "true");   // as spark-submit --conf or spark-defaults.conf would pass it
        try {
            SparkConf conf = SparkSessions.conf("local[1]", "t");
            assertEquals("false", conf.get(key));
            assertEquals("local[1]", conf.get("spark.master"));
            assertEquals("t", conf.get("spark.app.name"));
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
