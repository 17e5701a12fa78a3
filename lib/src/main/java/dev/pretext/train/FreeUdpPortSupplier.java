package dev.pretext.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * One free UDP port per JVM for DL4J's Aeron transport. The supplier travels to executors inside
 * the training configuration and is asked for a port in every JVM (driver and executors); DL4J's
 * default static port makes several JVMs on one host collide (STACK.md).
 */
final class FreeUdpPortSupplier implements PortSupplier {
    private static final long serialVersionUID = 1L;
    private static int port;

    @Override
    public int getPort() {
        synchronized (FreeUdpPortSupplier.class) {
            if (port == 0) {
                try (DatagramSocket s = new DatagramSocket(0)) {
                    port = s.getLocalPort();
                } catch (IOException e) {
                    throw new UncheckedIOException("no free UDP port for the gradient-sharing transport", e);
                }
            }
            return port;
        }
    }
}
