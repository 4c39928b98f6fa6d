package io.ferry.exchange;

import io.netty.handler.codec.http.HttpResponse;

/** Via on the way back, Strict-Transport-Security on a TLS listener that sets it, the request ID and the response rules. */
final class ForwardingResponsePhase implements ResponsePhase {
    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        ex.runtime.forwarded.onResponse(response.headers(), response.protocolVersion());
        ex.addEdgeHeaders(response);
        return Next.CONTINUE;
    }
}
