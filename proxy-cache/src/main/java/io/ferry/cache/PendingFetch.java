package io.ferry.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The waiting list of one fetch in flight (request coalescing). Touched only on misses. */
final class PendingFetch {
    private final List<Consumer<CachedResponse>> waiters = new ArrayList<>(2);
    private boolean done;

    synchronized boolean add(Consumer<CachedResponse> waiter) {
        if (done) {
            return false;
        }
        waiters.add(waiter);
        return true;
    }

    synchronized List<Consumer<CachedResponse>> complete() {
        done = true;
        return new ArrayList<>(waiters);
    }
}
