package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Upstream faults become 502/503/504 with a short body, or a closed connection once bytes went out. */
@Tag("slow")
class UpstreamErrorsTest {

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void refusedConnectionIs502AndConnectionStaysUsable() throws Exception {
        try (FerryHarness ferry = FerryHarness.proxyTo("backends.app.passive-health.enabled = false", closedPort());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(502, r.status());
            assertEquals("502 Bad Gateway\n", r.bodyText());
            client.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, client.read().status(), "keepalive survives an upstream error");
        }
    }

    @Test
    void hangingServerIs504AfterServerTimeout() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> null);
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.server = 300ms\nbackends.app.retries = 0",
                     origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(504, client.read().status());
            assertEquals(1, origin.requests().size());
        }
    }

    @Test
    void serverStallingMidResponseClosesTheClient() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                try {
                    done.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
             });
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.server = 300ms", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThrows(IOException.class, client::read, "a cut response must not look complete");
            done.countDown();
        }
    }

    @Test
    void garbageResponseIs502() throws Exception {
        try (RawOrigin origin = new RawOrigin(RawOrigin.reply("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, client.read().status());
        }
    }

    @Test
    void serverClosingBeforeRespondingIs502() throws Exception {
        try (RawOrigin origin = new RawOrigin((s, head) -> false);
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, client.read().status());
        }
    }

    @Test
    void serverResetIs502() throws Exception {
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                s.setSoLinger(true, 0);
                s.close();
                return false;
             });
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, client.read().status());
        }
    }

    @Test
    void resetMidResponseClosesTheClient() throws Exception {
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                s.setSoLinger(true, 0);
                s.close();
                return false;
             });
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThrows(IOException.class, client::read, "a truncated chunked body must not end cleanly");
        }
    }

    @Test
    void noRouteIs404AndPoolLimitIs503() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> null);
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app { servers = [ "127.0.0.1:%d" ], pool.max-connections = 1 }
                     routes = [ { host = "app.test", backend = app } ]
                     timeouts.shutdown = 1s
                     """).formatted(origin.port()))) {
            try (RawClient other = new RawClient(ferry.port())) {
                other.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
                assertEquals(404, other.read().status());
            }
            try (RawClient first = new RawClient(ferry.port()); RawClient second = new RawClient(ferry.port())) {
                first.send("GET /hang HTTP/1.1\r\nHost: app.test\r\n\r\n");
                Eventually.until("the request at the origin", () -> !origin.requests().isEmpty());
                second.send("GET /more HTTP/1.1\r\nHost: app.test\r\n\r\n");
                RawClient.Response r = second.read();
                assertEquals(503, r.status());
                assertTrue(r.bodyText().startsWith("503"));
            }
        }
    }
}
