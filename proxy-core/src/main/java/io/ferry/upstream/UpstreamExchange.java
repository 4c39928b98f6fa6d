package io.ferry.upstream;

/**
 * The request an upstream connection currently serves. All calls arrive on the event loop that the
 * connection and its client share. The connection is passed along so that a callback from a
 * connection the exchange has already let go of can be recognised and ignored.
 */
public interface UpstreamExchange {
    /** A response part; ownership of {@code msg} passes to the exchange. */
    void upstreamRead(UpstreamConnection connection, Object msg);

    void upstreamReadComplete(UpstreamConnection connection);

    void upstreamInactive(UpstreamConnection connection);

    void upstreamException(UpstreamConnection connection, Throwable cause);

    void upstreamWritabilityChanged(UpstreamConnection connection);

    /** The server sent nothing within the timeout armed by {@link UpstreamConnection#startServerTimer}. */
    void upstreamTimeout(UpstreamConnection connection);
}
