package io.ferry.frontend;

/**
 * User event fired on every client channel at shutdown: close when idle, or after the response in
 * flight, which then carries Connection: close.
 */
public final class Drain {
    public static final Drain INSTANCE = new Drain();

    private Drain() {
    }
}
