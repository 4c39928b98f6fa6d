package io.ferry.exchange;

import io.ferry.upstream.Backend;
import io.netty.handler.codec.http.HttpMethod;

/**
 * The one place that decides whether a failed attempt is tried again: by how it failed, the method,
 * whether the body can be sent again, the backend's {@code retries} and its retry budget.
 */
final class Retries {
    /** How an attempt failed. */
    enum Failure {
        /** No connection: nothing was sent. */
        CONNECT,
        /** A reused keepalive connection closed before any response byte: the stale-connection race. */
        STALE,
        /** The server sent nothing within timeouts.server. */
        TIMEOUT,
        /** The connection broke before the response began. */
        RESET,
        /** The server answered something that is not HTTP. */
        BAD_RESPONSE
    }

    private final Backend backend;
    private int left;
    private boolean staleRetried;

    Retries(Backend backend) {
        this.backend = backend;
        this.left = backend.config().retries();
    }

    /**
     * Whether to try again — a connect failure (nothing was sent), a reused connection the server had
     * closed (once, on a fresh connection), or for idempotent methods a timeout or reset — when the body
     * can be replayed and, except for the stale case, retries and budget remain. Counts the retry.
     */
    boolean tryAgain(Failure failure, HttpMethod method, boolean replayable) {
        if (!replayable) {
            return false;
        }
        boolean again = switch (failure) {
            case STALE -> !staleRetried;
            case CONNECT -> left > 0 && backend.retryBudget().tryRetry();
            case TIMEOUT, RESET -> idempotent(method) && left > 0 && backend.retryBudget().tryRetry();
            case BAD_RESPONSE -> false;
        };
        if (again) {
            if (failure == Failure.STALE) {
                staleRetried = true;
            } else {
                left--;
            }
        }
        return again;
    }

    /** After a stale reused connection, the retry takes a new connection. */
    boolean freshConnectionOnly() {
        return staleRetried;
    }

    private static boolean idempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }
}
