package io.ferry.exchange;

import io.ferry.fastcgi.FcgiRequest;
import io.ferry.upstream.Backend;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * What the request phases learn about one request, in the order they learn it: the head as received,
 * who the client is, where the route sends it, and what a FastCGI backend is sent. Each field names the
 * phase that sets it; later phases and the responders only read it (Pingora's per-request CTX).
 */
final class RequestContext {
    /** The head as received, owned by the exchange until it ends; phases may edit its headers. */
    HttpRequest request;
    HttpMethod method;
    /** The request target as sent. */
    String uri;
    /** The Host header. */
    String host;
    /** {@link ClientIdentityPhase}: the client found behind trusted proxies (real-ip), or null when it is the peer. */
    InetSocketAddress realClient;
    /** {@link ClientIdentityPhase}: the subject of the client's verified certificate, or null. */
    String clientSubject;
    /** {@link RoutingPhase}: the path as routing and the cache's path rules see it (see RequestPaths). */
    String normalPath;
    /** {@link RoutingPhase}: the route's target, its backend, and the balancer's hash key. */
    ProxyRuntime.RouteTarget route;
    Backend backend;
    CharSequence hashKey;
    /** {@link RoutingPhase}: the protocol of an Upgrade the backend allows, or null. */
    CharSequence upgradeProtocol;
    /** {@link RoutingPhase}: the server a sticky cookie names (sticky backends), or null. */
    io.ferry.upstream.ServerPool stickyServer;
    /** {@link RequestIdPhase}: this request's ID, or null when request IDs are off. */
    String requestId;
    /** {@link RulesPhase}: the backend a use-backend rule chose, or null. */
    String ruleBackend;
    /** {@link RoutingPhase}: the client's Accept-Encoding when the route compresses, or null. */
    String acceptEncoding;
    /** {@link CompressionPhase}: the encoder of this response's body, or null when it goes as it is. */
    io.ferry.compress.BodyEncoder bodyEncoder;
    /** {@link CompressionPhase}: the decoder of a gzip body for a client that does not take gzip, or null. */
    io.ferry.compress.GzipDecoder bodyDecoder;
    /** {@link EsiDetectionPhase}: the response is an ESI template, assembled before it goes out. */
    boolean esiTemplate;
    /** {@link EsiAssemblyPhase}: a template's head and body, held while its body arrives, or null. */
    io.netty.handler.codec.http.HttpResponse esiHead;
    io.netty.buffer.CompositeByteBuf esiBody;
    /**
     * The Cookie and Authorization the client sent, before rules or the cache took any out: what an ESI
     * page's includes are sent (Varnish gives includes the client's original request). Null when absent
     * or no route assembles ESI.
     */
    String clientCookie;
    String clientAuthorization;
    /** How deep this exchange is in a page's includes: 0 for a client's request. */
    int esiDepth;
    /** The includes the client's page may still fetch, shared by every level of it (made on first use). */
    int[] esiBudget;
    /** {@link ClusterPhase.Marker}: the request carries the fleet's marker; it is not sent on again. */
    boolean peerMarked;
    /** {@link ClusterPhase.Shard}: a peer owns the URL and this instance keeps a copy this long (cluster.local-ttl), else 0. */
    long shardLocalTtl;
    /** {@link ClusterPhase.Marker}: and it came from a peer's address (with the secret): a peer sent it. */
    boolean fromPeer;
    /** {@link TracePhase}: this request's place in a W3C trace (tracing.enabled), or null. */
    io.ferry.tracing.TraceContext trace;
    /** {@link ErrorPagePhase}: the status of a backend error answered with Ferry's page, or 0. */
    int interceptedStatus;
    /** What runs when the exchange ends (concurrency limits' slots), or null. */
    java.util.List<Runnable> onEnd;
    /** The request as rules see it, made on first use ({@link Exchange#ruleFacts}). */
    RuleFacts ruleFacts;
    /** {@link FastCgiMappingPhase}: the CGI parameters sent in place of the request head (FastCGI backends). */
    FcgiRequest fcgiHead;
}
