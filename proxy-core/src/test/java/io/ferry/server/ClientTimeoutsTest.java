package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Slowloris, idle keepalive, stalled uploads and the upstream pool's idle timeout. */
@Tag("slow")
class ClientTimeoutsTest {

    @Test
    void slowRequestHeadGets408() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.http-request = 300ms", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n");
            Thread.sleep(100);
            client.send("X-Trickle: 1\r\n");
            RawClient.Response r = client.read();
            assertEquals(408, r.status());
            assertTrue(client.closedByPeer());
            assertTrue(origin.requests().isEmpty());
        }
    }

    /**
     * The second request of a connection, on a listener that speaks only HTTP/1.1 (no protocol detection in
     * front): its head is timed from its first byte by the connection's one timer, and answered by
     * timeouts.http-request although the keepalive wait before it is far longer (RawClient gives up
     * after 15 s, so a 408 that waited for the keepalive wait fails here).
     */
    @Test
    void slowSecondRequestHeadGets408WhateverTheKeepAliveWait() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     listeners = [ { name = http, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ] } ]
                     timeouts { http-request = 300ms, http-keep-alive = 60s, client = 60s }
                     """, origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, client.read().status());
            client.send("GET /second HTTP/1.1\r\nHost: t\r\n");
            RawClient.Response r = client.read();
            assertEquals(408, r.status());
            assertTrue(client.closedByPeer());
            assertEquals(1, origin.requests().size(), "only the first request was forwarded");
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.http-keep-alive = 200ms", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, client.read().status());
            assertTrue(client.closedByPeer(), "idle connection closed after timeouts.http-keep-alive");
        }
    }

    @Test
    void stalledUploadGets408AndTheUpstreamIsDropped() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.client = 300ms", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345");
            RawClient.Response r = client.read();
            assertEquals(408, r.status());
            assertTrue(client.closedByPeer());
            assertTrue(origin.requests().isEmpty(), "the incomplete request never completed upstream");
        }
    }

    @Test
    void slowServerIsNotMistakenForAnIdleClient() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> {
                try {
                    Thread.sleep(600);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TestOrigin.Reply.ok("late");
             });
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.client = 200ms", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("late", client.read().bodyText());
        }
    }

    @Test
    void idlePooledConnectionsCloseAfterThePoolIdleTimeout() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("backends.app.pool.idle-timeout = 200ms\nglobal.io-threads = 1",
                     origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, client.read().status());
            client.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, client.read().status());
            assertEquals(1, origin.connectionsAccepted());
            var pool = ferry.firstServer("app");
            Eventually.until("the idle upstream connection closed after pool.idle-timeout",
                    () -> pool.openConnections() == 0);
            client.send("GET /3 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, client.read().status());
            assertEquals(2, origin.connectionsAccepted(), "the idle upstream connection was closed and replaced");
        }
    }
}
