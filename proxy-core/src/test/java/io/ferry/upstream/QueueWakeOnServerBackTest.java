package io.ferry.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.transport.Transport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A request waiting in a backend's queue for a slot is told when a server comes back into rotation, not
 * only when another server frees a slot: otherwise it waits for a slow server while one sits idle.
 */
class QueueWakeOnServerBackTest {
    private final Transport transport = Transport.select(TransportKind.NIO);

    @Test
    void aPassingCheckThatEndsAPassiveCooldownWakesTheQueue() {
        FerryConfig two = ConfigLoader.parse("""
                ferry {
                  listeners = [ { name = http, port = 0 } ]
                  backends.app { servers = [ "127.0.0.1:9", "127.0.0.1:10" ], max-conns = 1,
                                 passive-health { failures = 1, cooldown = 1h } }
                  routes = [ { backend = app } ]
                }
                """, Path.of("."));
        Backend app = new Upstreams(two, transport).backend("app");
        ServerState ejected = app.servers().get(0).state();
        ejected.health().onFailure("test: refused");
        assertFalse(ejected.health().isUp(), "out for its cooldown");
        assertNotNull(app.acquire("/", null), "the other server's one slot");
        assertNull(app.acquire("/", null), "no slot left on a server in rotation");
        CountingWaiter w = new CountingWaiter();
        assertTrue(app.enqueue(w, false));
        ejected.health().checkResult(true, "test", 1, 1);
        assertTrue(ejected.health().isUp(), "the passing check ended the cooldown");
        assertEquals(1, w.wakes, "the queued request is told it can try the server back in rotation");
    }
}
