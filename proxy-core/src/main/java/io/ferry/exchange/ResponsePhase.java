package io.ferry.exchange;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * One step of the way out, run in order on an origin's response before it reaches the client (Pingora's
 * response filters, Envoy's encoder filters). A phase may edit the head, take the whole response for
 * itself (the cache answering from an object a 304 refreshed), and see — or hold back — the body parts.
 */
interface ResponsePhase {
    /**
     * The head: CONTINUE to pass it on; ANSWERED when this phase takes the response, body and all; WAIT
     * when the phase keeps the head (it owns it now) and answers itself once the body is in — the body
     * parts still come through the phases before it, and its {@link #onEnd} returns null.
     */
    default Next onHead(Exchange ex, HttpResponse response) {
        return Next.CONTINUE;
    }

    /**
     * A body part on its way to the client: the part to pass on (itself, or another after releasing it),
     * or null when the phase released it and nothing goes on now.
     */
    default HttpContent onBody(Exchange ex, HttpContent part) {
        return part;
    }

    /**
     * The last part: returns what the client gets in its place (itself, or another after releasing it),
     * or null from the phase that kept the head (it released the part and answers itself).
     */
    default LastHttpContent onEnd(Exchange ex, LastHttpContent last) {
        return last;
    }

    /** A response this phase took at its head has ended (the exchange released its body): answer now. */
    default void onTakenResponseEnd(Exchange ex) {
    }
}
