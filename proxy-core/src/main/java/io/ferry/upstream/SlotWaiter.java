package io.ferry.upstream;

/** A request waiting in a backend's queue for a server slot. */
public interface SlotWaiter {
    /**
     * Called from any thread when a slot may be free. Returns false if the waiter no longer waits
     * (timed out, client gone), so the chance passes to the next one; otherwise it retries on its own
     * event loop, and re-queues at the front if another request was faster.
     */
    boolean wake();
}
