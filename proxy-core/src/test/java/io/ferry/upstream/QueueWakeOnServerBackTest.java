package io.ferry.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.health.ServerHealth;
import io.ferry.testing.Eventually;
import io.ferry.transport.Transport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A request waiting in a backend's queue for a slot is told when a server comes back into rotation, not
 * only when another server frees a slot: otherwise it waits for a slow server while one sits idle.
 */
class QueueWakeOnServerBackTest {
    private final Transport transport = Transport.select(TransportKind.NIO);
    private final CountingWaiter waiter = new CountingWaiter();

    @Test
    void aPassingCheckThatEndsAPassiveCooldownWakesTheQueue() {
        Backend app = twoServersOneOutOneFull("1h");
        ServerHealth ejected = app.servers().get(0).state().health();
        ejected.checkResult(true, "test", 1, 1);
        assertTrue(ejected.isUp(), "the passing check ended the cooldown");
        assertEquals(1, waiter.wakes, "the queued request is told it can try the server back in rotation");
    }

    @Test
    void aCooldownThatRunsOutWakesTheQueue() {
        Backend app = twoServersOneOutOneFull("1s"); // long enough that the setup ends inside it
        // Nothing picks a server meanwhile: only the end of the cooldown itself can tell the queue.
        Eventually.until("the queued request is woken when the cooldown runs out", () -> waiter.wakes == 1);
        assertTrue(app.servers().get(0).state().health().isUp(), "back in rotation");
        assertEquals(0, app.queueLength());
    }

    /**
     * Two servers of one slot each: the first passively out for {@code cooldown}, the second's slot taken,
     * and {@link #waiter} queued.
     */
    private Backend twoServersOneOutOneFull(String cooldown) {
        FerryConfig two = ConfigLoader.parse("""
                ferry {
                  listeners = [ { name = http, port = 0 } ]
                  backends.app { servers = [ "127.0.0.1:9", "127.0.0.1:10" ], max-conns = 1,
                                 passive-health { failures = 1, cooldown = %s } }
                  routes = [ { backend = app } ]
                }
                """.formatted(cooldown), Path.of("."));
        Backend app = new Upstreams(two, transport).backend("app");
        ServerHealth first = app.servers().get(0).state().health();
        first.onFailure("test: refused");
        assertFalse(first.isUp(), "out for its cooldown");
        assertNotNull(app.acquire("/", null), "the other server's one slot");
        assertNull(app.acquire("/", null), "no slot left on a server in rotation");
        assertTrue(app.enqueue(waiter, false));
        return app;
    }
}
