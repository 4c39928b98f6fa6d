package io.ferry.exchange;

import io.ferry.tracing.TraceContext;
import io.netty.util.AsciiString;

/**
 * W3C trace context (tracing.enabled): the client's traceparent continued (or a trace started, sampled
 * at tracing.sample-ratio), the backend sent Ferry's upstream span as its parent — PHP sees it as
 * HTTP_TRACEPARENT — and tracestate passed on as it is. The spans are exported when the exchange ends.
 */
final class TracePhase implements RequestPhase {
    static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");

    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        if (!ex.runtime.config.tracing().enabled()) {
            return Next.CONTINUE;
        }
        TraceContext t = TraceContext.of(ctx.request.headers().get(TRACEPARENT), ex.runtime.config.tracing().sampleRatio());
        ctx.trace = t;
        ctx.request.headers().set(TRACEPARENT, t.upstreamTraceparent());
        return Next.CONTINUE;
    }
}
