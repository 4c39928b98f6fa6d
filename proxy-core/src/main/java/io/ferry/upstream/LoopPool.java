package io.ferry.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;

/**
 * What one event loop keeps for one server (Zuul's per-loop pool): its idle connections, most recently
 * used first, the exchanges of this loop waiting for a connection, and the connection attempts under
 * way from it. Touched only by that loop's thread, so nothing here is locked.
 */
final class LoopPool {
    final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    final ArrayDeque<ConnectionWaiter> waiters = new ArrayDeque<>();
    /** Connection attempts under way from this loop. */
    int connecting;
    /** This loop's bootstrap and the loop itself, set at its first connection. */
    Bootstrap bootstrap;
    EventLoop loop;

    /** A connection attempt ended (either way): the first waiter may try one of its own. */
    void attemptFinished() {
        connecting--;
        ConnectionWaiter next = waiters.pollFirst();
        if (next != null) {
            next.connectionReady(null);
        }
    }
}
