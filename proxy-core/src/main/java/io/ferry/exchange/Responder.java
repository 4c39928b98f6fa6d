package io.ferry.exchange;

/**
 * Produces an exchange's response: the origin (an HTTP/1.1 server or a FastCGI application, see
 * {@link OriginResponder}), a stored object ({@link CachedResponder}), a file of a document root
 * ({@link StaticFileResponder}), or Ferry itself ({@link LocalResponder}, {@link InvalidationResponder}).
 */
interface Responder {
    /** Starts the response; a local responder has finished it when this returns. */
    void respond(Exchange exchange);

    /** The exchange ends before the responder did (client gone, failure): let go of what it holds. */
    default void release() {
    }
}
