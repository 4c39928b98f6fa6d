package io.ferry.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's HAProxy (bin/test installs it) started from a config the test writes, on loopback ports. */
public final class HaproxyProcess implements AutoCloseable {
    private final Process process;

    private HaproxyProcess(Process process) {
        this.process = process;
    }

    /**
     * Starts {@code haproxy -db} with {@code sections} after a minimal global/defaults block, and waits
     * until every port in {@code ports} accepts connections.
     */
    public static HaproxyProcess start(Path dir, String sections, int... ports) throws IOException, InterruptedException {
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, """
                global
                  maxconn 100
                defaults
                  mode http
                  timeout connect 2s
                  timeout client 10s
                  timeout server 10s
                """ + sections);
        Path log = dir.resolve("haproxy.log");
        Process p = new ProcessBuilder(List.of(Files.isExecutable(Path.of("/usr/sbin/haproxy")) ? "/usr/sbin/haproxy" : "haproxy", "-db", "-f", cfg.toString()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HaproxyProcess h = new HaproxyProcess(p);
        for (int port : ports) {
            try {
                Eventually.until("haproxy listening on " + port, 20, () -> {
                    if (!p.isAlive()) {
                        throw new IOException("haproxy exited");
                    }
                    return Listening.on(port);
                });
            } catch (AssertionError | RuntimeException e) {
                h.close();
                throw new IOException("haproxy did not listen on " + port + ": " + Files.readString(log), e);
            }
        }
        return h;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
