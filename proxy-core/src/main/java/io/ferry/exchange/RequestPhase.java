package io.ferry.exchange;

/**
 * One step of the way in, run in order by {@link Exchange#start} on the client's event loop (Pingora's
 * request filters, Envoy's decoder filters). A phase reads and extends the request's {@link RequestContext}
 * and decides what happens next; a new rule is one class added to {@link ProxyRuntime}'s list.
 */
interface RequestPhase {
    Next onRequest(Exchange ex, RequestContext ctx);
}
