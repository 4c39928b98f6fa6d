package io.ferry.rules;

import java.net.InetAddress;

/** What request rules read about a request; the exchange supplies it (the rule engine knows no channels). */
public interface RequestFacts {
    String method();

    /** The Host without port, lower case, or null. */
    String host();

    /** The path, normalised, without the query. */
    String path();

    /** The request target as it stands (after any rewrite): path and query. */
    String uri();

    /** The first value of a request header, or null. */
    String header(CharSequence name);

    /** The client (after real-ip). */
    InetAddress clientAddress();

    String clientIp();

    boolean tls();

    /** The name of the listener the request came in on. */
    String listener();

    /** This request's ID, or null when request IDs are off. */
    String requestId();
}
