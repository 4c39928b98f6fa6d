package io.ferry.testing;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: Debian's dnsmasq on 127.0.0.1 and a free port, answering only from a hosts
 * file (re-read on {@link #reload}, SIGHUP) and the SRV and host records it was started with, every answer
 * with a 1 s TTL. Nothing is forwarded anywhere.
 */
public final class Dnsmasq implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Path hosts;
    private Process process;

    private Dnsmasq(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.hosts = dir.resolve("hosts");
    }

    /** Starts dnsmasq answering from {@code hostsLines} ("127.0.0.2 app.test" lines) and {@code extraArgs}. */
    public static Dnsmasq start(Path dir, String hostsLines, String... extraArgs) throws IOException {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) { // a port free for UDP may be taken for TCP: try another
            Dnsmasq d = new Dnsmasq(dir, freePort());
            Files.writeString(d.hosts, hostsLines);
            try {
                d.run(extraArgs);
                return d;
            } catch (IllegalStateException e) {
                last = e;
            }
        }
        throw last;
    }

    /** A port free on 127.0.0.1 for both UDP and TCP (dnsmasq takes both). */
    private static int freePort() throws IOException {
        while (true) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                int port = s.getLocalPort();
                try (java.net.ServerSocket t = new java.net.ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                    return port;
                } catch (IOException takenForTcp) {
                    // another
                }
            }
        }
    }

    private void run(String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary(), "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", "--listen-address=127.0.0.1",
                "--port=" + port, "--addn-hosts=" + hosts, "--local-ttl=1", "--pid-file=" + dir.resolve("dnsmasq.pid"),
                "--log-facility=" + dir.resolve("dnsmasq.log"), "--user=" + System.getProperty("user.name")));
        cmd.addAll(List.of(extraArgs));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        Eventually.until("dnsmasq answers on " + port, () -> {
            if (!process.isAlive()) {
                Path log = dir.resolve("dnsmasq.log");
                throw new IllegalStateException("dnsmasq exited: " + Files.readString(dir.resolve("dnsmasq.out"))
                        + (Files.exists(log) ? Files.readString(log) : ""));
            }
            return answers();
        });
    }

    /** Whether a query reaches it (any answer, NXDOMAIN included). */
    private boolean answers() {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            byte[] q = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'p', 'r', 'o', 'b', 'e', 0, 0, 1, 0, 1};
            s.send(new java.net.DatagramPacket(q, q.length, InetAddress.getLoopbackAddress(), port));
            byte[] buf = new byte[512];
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            s.receive(p);
            return p.getLength() >= 12 && buf[0] == 0x12 && buf[1] == 0x34;
        } catch (IOException e) {
            return false;
        }
    }

    public static String binary() {
        return "/usr/sbin/dnsmasq";
    }

    /** "127.0.0.1:port", for resolvers.nameservers. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** New hosts-file contents, re-read now (SIGHUP). */
    public void hosts(String hostsLines) throws Exception {
        Files.writeString(hosts, hostsLines);
        signal("HUP");
    }

    /** Stops it and starts it again on the same port with other records (SRV records are read only at start). */
    public void restart(String... extraArgs) throws Exception {
        stop();
        run(extraArgs);
    }

    /** Stops it: lookups fail from now on. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
