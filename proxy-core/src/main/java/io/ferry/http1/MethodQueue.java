package io.ferry.http1;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayDeque;

/**
 * The methods of requests awaiting their responses on one connection, oldest first: a response to HEAD
 * has no body, and a 2xx to CONNECT ends HTTP on the connection. The oldest is a field; a deque holds the
 * rest only for a client that pipelines, so an idle connection keeps no collection.
 */
final class MethodQueue {
    private HttpMethod oldest;
    private ArrayDeque<HttpMethod> later;

    void add(HttpMethod method) {
        HttpMethod kept = method == HttpMethod.HEAD || method == HttpMethod.CONNECT ? method : HttpMethod.GET;
        if (oldest == null) {
            oldest = kept;
        } else {
            if (later == null) {
                later = new ArrayDeque<>(4);
            }
            later.add(kept);
        }
    }

    /** The oldest request's method (GET when unknown), removed. */
    HttpMethod poll() {
        HttpMethod m = oldest;
        oldest = later == null ? null : later.poll();
        return m == null ? HttpMethod.GET : m;
    }
}
