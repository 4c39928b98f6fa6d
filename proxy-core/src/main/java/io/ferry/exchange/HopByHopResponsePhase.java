package io.ferry.exchange;

import io.ferry.http.HopByHopHeaders;
import io.netty.handler.codec.http.HttpResponse;

/** Hop-by-hop fields go, as the connection they described ends here (RFC 9110 §7.6.1). */
final class HopByHopResponsePhase implements ResponsePhase {
    @Override
    public Next onHead(Exchange ex, HttpResponse response) {
        HopByHopHeaders.strip(response.headers());
        return Next.CONTINUE;
    }
}
