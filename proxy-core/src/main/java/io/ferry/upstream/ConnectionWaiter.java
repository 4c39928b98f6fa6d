package io.ferry.upstream;

/**
 * An exchange that holds a server slot and waits, on its own event loop, for a connection to that
 * server because pool.max-connecting attempts are already under way.
 */
public interface ConnectionWaiter {
    /**
     * A connection came free for this waiter ({@code connection} non-null, now its own), or a connection
     * attempt finished, so it may open one ({@code connection} null).
     */
    void connectionReady(UpstreamConnection connection);
}
