package io.ferry.exchange;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Ferry's own short answer: a client error, or an upstream fault before any response byte. */
final class LocalResponder implements Responder {
    private final HttpResponseStatus status;
    private final boolean mustClose;

    /** @param mustClose the connection cannot be trusted after this (malformed framing, an unread body) */
    LocalResponder(HttpResponseStatus status, boolean mustClose) {
        this.status = status;
        this.mustClose = mustClose;
    }

    @Override
    public void respond(Exchange ex) {
        FullHttpResponse res = ErrorResponses.create(ex.client.alloc(), status, false, ex.runtime.config.rules().errorPages());
        ex.record.bytesSent = res.content().readableBytes();
        ex.sendFull(res, mustClose);
    }
}
