package io.ferry.server;

/**
 * User event fired on every client channel at shutdown: close when idle, or after the response in
 * flight, which then carries Connection: close.
 */
final class Drain {
    static final Drain INSTANCE = new Drain();

    private Drain() {
    }
}
