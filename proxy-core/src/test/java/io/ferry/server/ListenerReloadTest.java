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
}
