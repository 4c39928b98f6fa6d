package io.ferry.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TestOrigin} in a JVM of its own, answering "origin &lt;port&gt;", so that a test can kill it
 * the way an operator's machine would: SIGKILL, nothing flushed, nothing closed.
 */
public final class OriginProcess implements AutoCloseable {
    private final int port;
    private Process process;

    private OriginProcess(int port) {
        this.port = port;
    }

    /** Starts one on a free port. */
    public static OriginProcess start() throws IOException, InterruptedException {
        OriginProcess o = new OriginProcess(freePort());
        o.restart();
        return o;
    }

    /** A port nothing listens on now (bound then released: a tiny race, acceptable on loopback). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** (Re)starts the process on the same port and waits until it accepts connections. */
    public void restart() throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), Integer.toString(port));
        process = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Eventually.until("the origin process listening on " + port, 20, () -> {
            if (!process.isAlive()) {
                throw new IOException("origin process exited with " + process.exitValue());
            }
            return Listening.on(port);
        });
    }

    /** SIGKILL: the server vanishes mid-request, its connections reset by the kernel. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }

    /** The child's entry point. */
    public static final class Main {
        private Main() {
        }

        public static void main(String[] args) throws InterruptedException {
            int port = Integer.parseInt(args[0]);
            TestOrigin.startOn(port, r -> TestOrigin.Reply.ok("origin " + port));
            Thread.currentThread().join(); // until killed
        }
    }
}
