package dev.pretext.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URI;
import java.nio.file.Path;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;

/** bin/pretext's log config (and the tests') keeps the warnings every run printed for nothing. */
class LogConfigTest {
    @Test
    void knownHarmlessWarningsAreSilencedButOthersShow() {
        for (String file : new String[]{"../conf/log4j2.properties", "src/test/resources/log4j2-test.properties"}) {
            URI uri = Path.of(file).toAbsolutePath().toUri();
            try (LoggerContext ctx = Configurator.initialize("log-config-test-" + file.hashCode(), null, uri)) {
                assertFalse(ctx.getLogger("org.nd4j.imports.converters.ImportClassMapping").isEnabled(Level.WARN), file);
                assertFalse(ctx.getLogger("dev.ludovic.netlib.blas.InstanceBuilder").isEnabled(Level.WARN), file);
                assertTrue(ctx.getLogger("org.nd4j.linalg.factory.Nd4j").isEnabled(Level.WARN), file);
            }
        }
    }

    @Test
    void credentialsInLogMessagesAreRedacted() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        URI uri = Path.of("../conf/log4j2.properties").toAbsolutePath().toUri();
        try (LoggerContext ctx = Configurator.initialize("log-redaction-test", null, uri)) {
            ctx.getLogger("dev.pretext.x").info("opening s3a://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/runs with"
                    + " fs.s3a.secret.key=hunter2, fs.s3a.endpoint=s3.example.com and \"password\": \"pa55\"");
        } finally {
            System.setErr(old);
        }
        String line = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(line.contains("opening s3a://AKIAEXAMPLE:***redacted***@bucket/runs with fs.s3a.secret.key=***redacted***,"
                + " fs.s3a.endpoint=s3.example.com and \"password\": \"***redacted***\""), line);
        for (String secret : new String[]{"wJalrXUtnFEMI", "hunter2", "pa55"}) {
            assertFalse(line.contains(secret), line);
        }
    }
}
