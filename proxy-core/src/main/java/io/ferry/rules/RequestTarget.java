package io.ferry.rules;

import io.netty.handler.codec.http.HttpHeaders;

/** A request the rules may edit: its headers, and its target (path and query) before routing. */
public interface RequestTarget extends RequestFacts {
    HttpHeaders headers();

    /** The request target becomes {@code uri} (a path, and a query if any) for routing and the backend. */
    void rewriteUri(String uri);

    /** {@code release} runs once when the request ends, however it ends (a concurrency limit's slot). */
    void onEnd(Runnable release);
}
