package io.ferry.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.InetAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** What a strict HTTP/1.1 intermediary refuses or rewrites, checked on what the origin receives. */
class ProtocolStrictnessTest {

    @Test
    void lowerCaseHttpVersionIs400AndNotForwarded() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("GET /lower HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status(), "the exact version is fine");
            }
            for (String version : new String[] {"http/1.1", "Http/1.1", "http/1.0"}) {
                try (RawClient c = new RawClient(ferry.port())) {
                    c.send("GET /lower HTTP/1.1\r\nHost: t\r\n\r\n".replace("HTTP/1.1", version));
                    assertEquals(400, c.read().status(), version + " (RFC 9112 §2.3: case-sensitive)");
                }
            }
            assertEquals(1, origin.requests().size(), "only the well-formed request reached the origin");
        }
    }

    @Test
    void h2cUpgradeIsNotTunnelledButAnsweredAsHttp11() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient c = new RawClient(ferry.port())) {
            c.send("GET /smuggle HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status(), "answered as HTTP/1.1, not switched");
            assertEquals("hello /smuggle", r.bodyText());
            TestOrigin.Received got = origin.requests().get(0);
            assertNull(got.headers().get("upgrade"), "Upgrade: h2c is not on the allow-list");
            assertNull(got.headers().get("http2-settings"));
            assertFalse(String.valueOf(got.headers().get("connection")).toLowerCase().contains("upgrade"));
            c.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("hello /after", c.read().bodyText(), "the connection is still HTTP/1.1");
        }
    }

    @Test
    void onlyAllowedUpgradeTokensAreForwarded() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("backends.app.upgrade-protocols = [ websocket, foo ]",
                     origin.port());
             RawClient c = new RawClient(ferry.port())) {
            // The origin answers 200 (it does not switch): only the forwarded head matters here.
            c.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: h2c, WebSocket, foo/2\r\n"
                    + "Content-Length: 0\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals("WebSocket, foo/2", origin.requests().get(0).headers().get("upgrade"));
        }
    }

    /** Decided: like HAProxy, Ferry answers a client that half-closes after its request, then closes. */
    @Test
    void halfClosedClientGetsItsAnswer() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            origin.delayReplies(300); // the FIN arrives well before the answer
            Socket s = new Socket(InetAddress.getLoopbackAddress(), ferry.port());
            try (RawClient c = new RawClient(s)) {
                c.send("GET /half HTTP/1.1\r\nHost: t\r\n\r\n");
                s.shutdownOutput();
                RawClient.Response r = c.read();
                assertEquals(200, r.status());
                assertEquals("hello /half", r.bodyText());
                assertEquals("close", r.header("connection"), "nothing more can come: the last response");
                assertTrue(c.closedByPeer());
            }
        }
    }
}
