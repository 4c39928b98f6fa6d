package io.ferry.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.FerryProcess;
import io.ferry.testing.KeepAliveLoad;
import io.ferry.testing.OpenFiles;
import io.ferry.testing.OriginProcess;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection drills: clients that abort, an origin that answers early, many idle connections, and a
 * slowloris crowd. Each prints its figure (README, "Fault drills"). Buffers are checked by the PARANOID
 * leak detector that every test runs under.
 */
@Tag("external")
class ConnectionDrillsTest {
    @TempDir
    Path dir;

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Closes with a reset, as a client that is killed or aborts does. */
    private static void abort(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static void assertAnswers(FerryHarness ferry) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET /still-there HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.read().status());
        }
    }

    @Test
    void drill5ClientAbortsMidDownloadAndMidUploadFreeTheUpstream() throws Exception {
        CountDownLatch downloadCut = new CountDownLatch(1);
        CountDownLatch uploadCut = new CountDownLatch(1);
        CountDownLatch uploadArriving = new CountDownLatch(1);
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                 if (head.startsWith("GET /still-there")) {
                     s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                     return true;
                 }
                 if (head.startsWith("GET /big")) { // 50 MB, as fast as the socket takes it
                     OutputStream out = s.getOutputStream();
                     out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n"));
                     byte[] chunk = new byte[64 * 1024];
                     try {
                         for (long sent = 0; sent < 50_000_000L; sent += chunk.length) {
                             out.write(chunk);
                         }
                     } catch (IOException closedByFerry) {
                         downloadCut.countDown();
                     }
                     return false;
                 }
                 InputStream in = s.getInputStream(); // POST /upload: read the body, never answer
                 byte[] buf = new byte[64 * 1024];
                 try {
                     while (in.read(buf) >= 0) {
                         uploadArriving.countDown(); // the body streams through Ferry
                     }
                 } catch (IOException reset) {
                     // a reset ends the upload too
                 }
                 uploadCut.countDown();
                 return false;
             });
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            Socket down = new Socket(InetAddress.getLoopbackAddress(), ferry.port());
            down.getOutputStream().write(ascii("GET /big HTTP/1.1\r\nHost: t\r\n\r\n"));
            InputStream in = down.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < 1_000_000) {
                got += in.read(buf);
            }
            abort(down);
            boolean downloadFreed = downloadCut.await(20, TimeUnit.SECONDS);

            Socket up = new Socket(InetAddress.getLoopbackAddress(), ferry.port());
            OutputStream out = up.getOutputStream();
            out.write(ascii("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n"));
            byte[] part = new byte[64 * 1024];
            for (int i = 0; i < 16; i++) {
                out.write(part);
            }
            out.flush();
            assertTrue(uploadArriving.await(20, TimeUnit.SECONDS), "the upload reaches the origin");
            abort(up);
            boolean uploadFreed = uploadCut.await(20, TimeUnit.SECONDS);
            System.out.printf("drill 5 (client aborts mid-download after %d KiB and mid-upload after 1 MiB): "
                    + "upstream connection closed: download %s, upload %s; leak detector PARANOID%n", got / 1024,
                    downloadFreed ? "yes" : "NO", uploadFreed ? "yes" : "NO");
            assertTrue(downloadFreed, "the origin's half-sent response was cut, its connection not kept");
            assertTrue(uploadFreed, "the origin's half-received request was cut");
            assertAnswers(ferry);
        }
    }

    @Test
    void drill6AnOriginAnsweringBeforeTheWholeBodyIsHeard() throws Exception {
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                // Refuse at the head, as a server enforcing its own upload limit does, then close the way
                // nginx and Apache do: our side first, the rest of the body read and dropped.
                s.getOutputStream().write(ascii("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n"
                        + "Connection: close\r\n\r\ntoo large"));
                s.getOutputStream().flush();
                s.shutdownOutput();
                s.setSoTimeout(2000);
                try {
                    s.getInputStream().transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // enough lingering
                }
                return false;
             });
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient c = new RawClient(ferry.port())) {
            long size = 20L << 20;
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = c.socket().getOutputStream();
                    out.write(ascii("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n"));
                    byte[] part = new byte[64 * 1024];
                    for (long sent = 0; sent < size; sent += part.length) {
                        out.write(part);
                    }
                } catch (IOException stoppedByFerry) {
                    // expected once Ferry has answered and closed
                }
            }, "drill6-upload");
            writer.start();
            RawClient.Response r = c.read();
            writer.join(20_000);
            System.out.printf("drill 6 (origin answers 413 before reading a 20 MiB body): client got %d \"%s\"%n",
                    r.status(), r.bodyText());
            assertEquals(413, r.status());
            assertEquals("too large", r.bodyText());
        }
    }

    @Test
    void drill7TenThousandIdleKeepaliveConnections() throws Exception {
        int n = 10_000;
        // The clients live in this process, Ferry in its own: each needs n sockets and some to spare.
        assumeTrue(OpenFiles.limit() > n + 2000, "needs more open files than this machine allows");
        try (TestOrigin origin = TestOrigin.echoUri()) {
            int port = OriginProcess.freePort();
            Path conf = dir.resolve("ferry.conf");
            Files.writeString(conf, """
                    ferry {
                      global { io-threads = 2, max-connections = 12000 }
                      listeners = [ { name = http, bind = "127.0.0.1", port = %d, backlog = 4096 } ]
                      # The origin shares this test's process and its open-files limit: 64 at a time, the rest queue.
                      backends.app { servers = [ "127.0.0.1:%d" ], max-conns = 64 }
                      routes = [ { backend = app } ]
                      timeouts { http-keep-alive = 5m, queue = 60s, shutdown = 2s }
                    }
                    """.formatted(port, origin.port()));
            try (FerryProcess ferry = FerryProcess.start(conf, port, "-Xmx512m")) {
                List<RawClient> clients = new ArrayList<>(n);
                // The first connection stays open until the end: its close would still be under way when the
                // baseline is read (the RSS is reported, not asserted).
                RawClient warm = new RawClient(port);
                try {
                    warm.send("GET /warm HTTP/1.1\r\nHost: t\r\n\r\n").read();
                    long before = ferry.rssKiB();
                    for (int i = 0; i < n; i++) {
                        RawClient c = new RawClient(port);
                        c.send("GET /first/" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        clients.add(c);
                    }
                    for (RawClient c : clients) {
                        assertEquals(200, c.read().status());
                    }
                    Thread.sleep(2000); // idle
                    long after = ferry.rssKiB();
                    int answered = 0;
                    for (RawClient c : clients) {
                        c.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
                    }
                    for (RawClient c : clients) {
                        if (c.read().status() == 200) {
                            answered++;
                        }
                    }
                    System.out.printf("drill 7 (%d idle keepalive connections): %d answered again after idling; "
                            + "Ferry RSS %d -> %d MiB, %.1f KiB per connection%n", n, answered, before / 1024,
                            after / 1024, (after - before) / (double) n);
                    assertEquals(n, answered);
                } finally {
                    warm.close();
                    for (RawClient c : clients) {
                        c.close();
                    }
                }
            }
        }
    }

    @Test
    void drill8SlowlorisOnAThousandConnectionsLeavesOthersUnaffected() throws Exception {
        int slow = 1000;
        assumeTrue(OpenFiles.limit() > 2L * slow + 1000, "needs more open files than this machine allows");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.http-request = 5s", origin.port())) {
            List<Socket> crowd = new ArrayList<>(slow);
            try {
                for (int i = 0; i < slow; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), ferry.port());
                    s.getOutputStream().write(ascii("GET /slow HTTP/1.1\r\n"));
                    crowd.add(s);
                }
                KeepAliveLoad others = new KeepAliveLoad(ferry.port(), 4, 60, i -> "GET /fast/" + i
                        + " HTTP/1.1\r\nHost: t\r\n\r\n");
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                int round = 0;
                while (System.nanoTime() < end) { // a header byte every 2 s on each
                    for (Socket s : crowd) {
                        try {
                            s.getOutputStream().write('X' + (round % 2));
                        } catch (IOException cut) {
                            // Ferry has answered 408 and closed it
                        }
                    }
                    round++;
                    Thread.sleep(2000);
                }
                others.stop();
                int got408 = 0;
                int stillOpen = 0;
                for (Socket s : crowd) {
                    s.setSoTimeout(5000);
                    try {
                        byte[] head = s.getInputStream().readNBytes(12);
                        if (new String(head, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 408")) {
                            got408++;
                        }
                    } catch (java.net.SocketTimeoutException e) {
                        stillOpen++;
                    } catch (IOException e) {
                        // reset: our later bytes hit the closed connection before its 408 was read
                    }
                }
                System.out.printf("drill 8 (slowloris: %d connections, a header byte every 2 s, 8 s): all cut by "
                        + "timeouts.http-request (%d read their 408, %d left open); meanwhile %d other requests, "
                        + "%d failed, slowest %d ms%n", slow, got408, stillOpen, others.ok() + others.failed(),
                        others.failed(), others.maxLatencyMillis());
                assertEquals(0, others.failed(), "other clients unaffected: " + others.someFailures());
                assertTrue(others.ok() > 100);
                assertEquals(0, stillOpen, "every slowloris connection is cut");
                assertTrue(got408 > 0);
            } finally {
                for (Socket s : crowd) {
                    s.close();
                }
            }
        }
    }
}
