package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.ConnectException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Graceful shutdown lets in-flight requests finish; the connection limit turns away the excess. */
@Tag("slow")
class ShutdownAndLimitsTest {

    @Test
    void shutdownFinishesInFlightRequestsAndClosesIdleOnes() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> {
                try {
                    Thread.sleep(700);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TestOrigin.Reply.ok("finished " + r.uri());
             })) {
            FerryHarness ferry = FerryHarness.proxyTo("timeouts.shutdown = 5s", origin.port());
            int port = ferry.port();
            try (RawClient busy = new RawClient(port); RawClient idle = new RawClient(port)) {
                busy.send("GET /in-flight HTTP/1.1\r\nHost: t\r\n\r\n");
                Eventually.until("the request at the origin", () -> !origin.requests().isEmpty());
                CompletableFuture<Void> stopping = CompletableFuture.runAsync(ferry::close);
                RawClient.Response r = busy.read();
                assertEquals(200, r.status());
                assertEquals("finished /in-flight", r.bodyText());
                assertEquals("close", r.header("connection"));
                assertTrue(busy.closedByPeer());
                assertTrue(idle.closedByPeer(), "an idle keepalive connection is closed at once");
                stopping.get();
            }
            assertThrows(ConnectException.class, () -> new RawClient(port), "listener closed");
        }
    }

    /**
     * A connection that has sent nothing yet (a load generator's last connect, a browser's preconnect) is
     * idle: a stop closes it at once instead of waiting timeouts.shutdown for it. With a minute to wait,
     * the client sees the close within RawClient's 15 s and the stop returns, or this fails.
     */
    @Test
    void aStopDoesNotWaitForAConnectionThatSentNothing() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri()) {
            FerryHarness ferry = FerryHarness.proxyTo("timeouts { shutdown = 60s, http-keep-alive = 60s }", origin.port());
            try (RawClient silent = new RawClient(ferry.port()); RawClient used = new RawClient(ferry.port())) {
                used.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, used.read().status());
                CompletableFuture<Void> stopping = CompletableFuture.runAsync(ferry::close);
                assertTrue(silent.closedByPeer(), "closed by the stop, not after timeouts.shutdown");
                assertTrue(used.closedByPeer());
                stopping.get(15, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("global.max-connections = 2", origin.port());
             RawClient a = new RawClient(ferry.port());
             RawClient b = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, a.read().status());
            b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, b.read().status());
            try (RawClient c = new RawClient(ferry.port())) {
                assertTrue(c.closedByPeer(), "third connection refused by global.max-connections");
            }
            a.close();
            Eventually.until("the closed connection's slot freed", () -> ferry.server().clientConnections() < 2);
            try (RawClient d = new RawClient(ferry.port())) {
                d.send("GET /d HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, d.read().status(), "a slot frees when a connection closes");
            }
        }
    }
}
