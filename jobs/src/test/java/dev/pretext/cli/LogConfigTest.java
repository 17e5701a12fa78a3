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
}
