package io.ferry.http1;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayDeque;

/**
 * The methods of requests awaiting their responses on one connection, oldest first: a response to HEAD
 * has no body, and a 2xx to CONNECT ends HTTP on the connection. Constants only, so adding allocates
 * nothing once the deque has grown to the connection's pipelining depth.
 */
final class MethodQueue {
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    void add(HttpMethod method) {
        methods.add(method == HttpMethod.HEAD || method == HttpMethod.CONNECT ? method : HttpMethod.GET);
    }

    /** The oldest request's method (GET when unknown), removed. */
    HttpMethod poll() {
        HttpMethod m = methods.poll();
        return m == null ? HttpMethod.GET : m;
    }
}
