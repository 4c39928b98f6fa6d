package io.ferry.frontend;

/**
 * User event fired on client channels when they are to finish: the response in flight is the last and carries
 * {@code Connection: close} (HTTP/2: GOAWAY). An idle HTTP/1.1 connection either closes at once (a stop: the
 * client retries elsewhere) or stays until its next response or its keep-alive timeout (an upgrade or a listener
 * removed by a reload: another socket serves the same address, and a request the client sent as the connection
 * closed would be lost; HAProxy's {@code idle-close-on-response}).
 */
public final class Drain {
    /** Idle connections close now. */
    public static final Drain INSTANCE = new Drain(true);
    /** Idle connections close after their next response, or at their keep-alive timeout. */
    public static final Drain AFTER_NEXT_RESPONSE = new Drain(false);

    private final boolean closeIdle;

    private Drain(boolean closeIdle) {
        this.closeIdle = closeIdle;
    }

    public boolean closesIdle() {
        return closeIdle;
    }
}
