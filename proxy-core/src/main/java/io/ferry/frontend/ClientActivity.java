package io.ferry.frontend;

/**
 * What counts as a client being active for timeouts.client, for an HTTP/1.1 connection and an HTTP/2
 * stream alike: anything it sends ({@link #touch}), progress on what it has to take, and — while a
 * response is under way with nothing pending — the server's silence, which is timeouts.server's business.
 * It is a wheel's timer so that an HTTP/1.1 connection's {@link ConnectionTimer} is one object.
 */
class ClientActivity extends TimerWheel.Timer {
    private long lastActivity;
    private long lastPending = -1;

    void touch(long now) {
        lastActivity = now;
    }

    /** Activity at {@code then}, if that is later than what was seen. */
    void touchIfLater(long then) {
        if (then - lastActivity > 0) {
            lastActivity = then;
        }
    }

    /** An HTTP/2 stream is never on a wheel (its connection sweeps its streams); a connection's timer is. */
    @Override
    void expire() {
    }

    /**
     * Time left before the client counts as inactive, given what is pending for it now; 0 or less when
     * it has been quiet for {@code timeoutNanos} (the quiet spell then starts again).
     *
     * @param responding a response is under way (or done), so the client is not waited on to send
     * @param pending    response bytes written but not yet taken by the client
     */
    long remaining(long now, long timeoutNanos, boolean responding, long pending) {
        if (responding && pending == 0) {
            lastActivity = now; // nothing waits on the client
        } else if (pending != lastPending && pending > 0 && lastPending >= 0) {
            lastActivity = now; // the client took some of what was written
        }
        lastPending = pending;
        long left = timeoutNanos - (now - lastActivity);
        if (left <= 0) {
            lastActivity = now;
        }
        return left;
    }
}
