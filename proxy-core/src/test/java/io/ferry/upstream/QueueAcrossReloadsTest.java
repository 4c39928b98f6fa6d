package io.ferry.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.transport.Transport;
import io.ferry.config.TransportKind;
import io.netty.channel.DefaultEventLoopGroup;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request queues of two configurations of one backend share their kept server's slots: whichever
 * side frees a slot wakes a waiter on both, in every order the event loops can interleave — driven
 * step by step here, one interleaving per test, with no sockets or threads.
 */
class QueueAcrossReloadsTest {
    private static final FerryConfig CONFIG = ConfigLoader.parse("""
            ferry {
              listeners = [ { name = http, port = 0 } ]
              backends.app { servers = [ "127.0.0.1:9" ], max-conns = 1 }
              routes = [ { backend = app } ]
            }
            """, Path.of("."));

    private final Transport transport = Transport.select(TransportKind.NIO);
    private DefaultEventLoopGroup loops;

    @BeforeEach
    void loops() {
        loops = new DefaultEventLoopGroup(1);
    }

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }

    private Upstreams reload(Upstreams old) {
        Upstreams next = new Upstreams(CONFIG, transport, old.states());
        old.retire(loops);
        return next;
    }

    private static ServerPool only(Backend b) {
        return b.servers().get(0);
    }

    @Test
    void aWaiterOfTheOldConfigurationThatLostItsSlotToTheNewOneIsWokenByTheNewOnesRelease() {
        Upstreams first = new Upstreams(CONFIG, transport);
        Backend old = first.backend("app");
        ServerPool held = old.acquire("/", null);
        assertNotNull(held, "the one slot");
        CountingWaiter w = new CountingWaiter();
        assertTrue(old.enqueue(w, false));

        Upstreams second = reload(first);
        Backend current = second.backend("app");
        old.release(held);
        assertEquals(1, w.wakes, "woken by the old request's slot");
        // Before the woken request runs, a request of the new configuration takes the slot...
        ServerPool taken = current.acquire("/", null);
        assertNotNull(taken);
        assertNull(old.acquire("/", null), "...so the woken one finds none");
        // ...and frees it while the old queue is empty: the woken request is between its try and re-queueing.
        current.release(taken);
        assertTrue(old.enqueue(w, true), "back at the front");
        ServerPool again = current.acquire("/", null);
        assertNotNull(again, "the new configuration takes the slot once more");
        current.release(again);
        assertEquals(2, w.wakes, "the new configuration's release wakes the old queue's waiter");
    }

    @Test
    void theNewConfigurationsWaitersAreWokenByTheOldOnesSlots() {
        Upstreams first = new Upstreams(CONFIG, transport);
        Backend old = first.backend("app");
        ServerPool held = old.acquire("/", null);
        Upstreams second = reload(first);
        Backend current = second.backend("app");
        assertNull(current.acquire("/", null), "the old request's slot counts in the new configuration");
        CountingWaiter w = new CountingWaiter();
        assertTrue(current.enqueue(w, false));
        old.release(held);
        assertEquals(1, w.wakes);
    }

    @Test
    void aServerBackUpWakesTheQueuesOfBothConfigurations() {
        Upstreams first = new Upstreams(CONFIG, transport);
        Backend old = first.backend("app");
        old.acquire("/", null);
        CountingWaiter before = new CountingWaiter();
        assertTrue(old.enqueue(before, false));
        Upstreams second = reload(first);
        CountingWaiter after = new CountingWaiter();
        assertTrue(second.backend("app").enqueue(after, false));
        ServerState state = only(old).state();
        state.health().checkResult(false, "test", 1, 1);
        state.health().checkResult(true, "test", 1, 1);
        assertEquals(1, before.wakes, "the replaced configuration's waiter");
        assertEquals(1, after.wakes, "the running configuration's waiter");
    }

    @Test
    void aReplacedConfigurationWithAnEmptyQueueIsNoLongerHeldByItsServers() {
        Upstreams first = new Upstreams(CONFIG, transport);
        Backend old = first.backend("app");
        CountingWaiter w = new CountingWaiter();
        ServerPool held = old.acquire("/", null);
        assertTrue(old.enqueue(w, false));
        Upstreams second = reload(first);
        Backend current = second.backend("app");
        ServerState state = only(current).state();
        assertTrue(Arrays.asList(state.queues()).contains(old), "still listening: a request waits in it");
        old.leave(w); // its client went away
        assertFalse(Arrays.asList(state.queues()).contains(old));
        assertEquals(java.util.List.of(current), Arrays.asList(state.queues()));
        old.release(held);
        Upstreams third = reload(second);
        assertEquals(java.util.List.of(third.backend("app")), Arrays.asList(state.queues()),
                "two reloads later only the running configuration listens");
    }
}
