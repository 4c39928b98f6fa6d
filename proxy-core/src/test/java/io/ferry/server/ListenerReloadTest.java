package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.Listening;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Listeners added, removed and moved by a reload, without a restart: a new one answers, a removed one
 * accepts nothing new while a request already on one of its connections is answered, a moved one answers
 * on its new port only.
 */
class ListenerReloadTest {
    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String config(int origin, String listeners) {
        return """
                ferry {
                  listeners = [ %s ]
                  access-log.enabled = false
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(listeners, origin);
    }

    private static String listener(String name, int port) {
        return "{ name = " + name + ", bind = \"127.0.0.1\", port = " + port + " }";
    }

    private static int get(int port) throws Exception {
        try (RawClient c = new RawClient(port)) {
            return c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status();
        }
    }

    @Test
    void listenersComeGoAndMoveOnReload() throws Exception {
        int a = freePort();
        int b = freePort();
        int moved = freePort();
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), listener("main", a)))) {
            assertEquals(200, get(a));
            try (RawClient inFlight = new RawClient(a)) { // a request on "main" still at the origin when it goes
                ferry.server().reload(ConfigLoader.parse(config(origin.port(), listener("main", a) + ", "
                        + listener("extra", b)), Path.of(".")));
                assertEquals(200, get(b), "a listener added by the reload answers");
                assertEquals(200, get(a));

                origin.hold();
                inFlight.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(origin.awaitHeld(1, 10_000));
                ferry.server().reload(ConfigLoader.parse(config(origin.port(), listener("extra", b)), Path.of(".")));
                Eventually.until("main stopped accepting", () -> !Listening.on(a));
                origin.releaseHeld();
                RawClient.Response last = inFlight.read();
                assertEquals(200, last.status(), "the removed listener's request in flight is answered");
                assertEquals("close", last.header("Connection"), "and its connection then closes");
            }
            assertEquals(200, get(b));

            ferry.server().reload(ConfigLoader.parse(config(origin.port(), listener("extra", moved)), Path.of(".")));
            assertEquals(200, get(moved), "moved to its new port");
            assertFalse(Listening.on(b), "and no longer on the old one");
            assertTrue(ferry.server().listenerAddresses().get("extra").getPort() == moved);
        }
    }

    /**
     * A listener kept on its address keeps its socket when its other settings change (backlog, TCP_NODELAY,
     * PROXY protocol, protocols): not a connection refused across the reloads, and new connections get the new
     * settings.
     */
    @Test
    void aListenerChangedInPlaceRefusesNothing() throws Exception {
        int a = freePort();
        String plain = "{ name = main, bind = \"127.0.0.1\", port = " + a + ", backlog = 512, tcp-nodelay = true }";
        String changed = "{ name = main, bind = \"127.0.0.1\", port = " + a + ", backlog = 2048, tcp-nodelay = false,"
                + " protocols = [ \"http/1.1\" ] }";
        String proxied = "{ name = main, bind = \"127.0.0.1\", port = " + a + ", proxy-protocol = true,"
                + " proxy-protocol-from = [ \"127.0.0.1/32\" ] }";
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), plain))) {
            Thread churn = new Thread(() -> {
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (!stop.get() && System.nanoTime() < deadline) {
                    try (java.net.Socket s = new java.net.Socket("127.0.0.1", a)) {
                        answered.incrementAndGet();
                    } catch (java.net.ConnectException e) {
                        refused.incrementAndGet();
                    } catch (java.io.IOException e) {
                        // not a refusal
                    }
                }
            });
            churn.start();
            try {
                for (int i = 0; i < 20; i++) {
                    Eventually.until("connections between reloads", () -> answered.get() > 0);
                    answered.set(0);
                    ferry.server().reload(ConfigLoader.parse(config(origin.port(), i % 2 == 0 ? changed : plain),
                            Path.of(".")));
                }
            } finally {
                stop.set(true);
                churn.join(10_000);
            }
            assertEquals(0, refused.get(), "connections refused while the listener was reconfigured");

            ferry.server().reload(ConfigLoader.parse(config(origin.port(), proxied), Path.of(".")));
            try (RawClient c = new RawClient(a)) {
                c.send("PROXY TCP4 198.51.100.9 127.0.0.1 40000 8000\r\nGET /p HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status(), "the new connection expects the PROXY header now");
            }
            try (RawClient c = new RawClient(a)) {
                c.send("GET /p HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(c.closedByPeer(), "and one without it is turned away");
            }
        }
    }
}
