package io.ferry.balance;

/** What a balancer needs to know of a server. Implementations are read from any event loop. */
public interface Balanced {
    String name();

    int weight();

    /** Requests this server is serving now, over all event loops. */
    int inFlight();

    /** Up (health) and below its concurrency limit. */
    boolean isAvailable();

    /** Up, whatever its load: a request may queue for it. */
    boolean isUp();
}
