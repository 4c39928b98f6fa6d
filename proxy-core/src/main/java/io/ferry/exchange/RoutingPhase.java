package io.ferry.exchange;

import io.ferry.compress.Negotiation;
import io.ferry.config.BackendConfig;
import io.ferry.config.CompressionConfig;
import io.ferry.http.Cookies;
import io.ferry.http.RequestPaths;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.ferry.upstream.Backend;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Host and normalised path pick a route (404 without one); its backend, the balancer's hash key, the
 * route's redirect to https, and the request rules every backend gets (forwarding headers, hop-by-hop
 * fields, the Upgrade it may switch to). gRPC is never downgraded to an HTTP/1.1 backend.
 */
final class RoutingPhase implements RequestPhase {
    /**
     * Sessions kept on one server: the server a sticky cookie names (taken out of the request when
     * indirect), or the value of hash-cookie as what the balancer hashes.
     */
    private static void sessions(RequestContext ctx) {
        HttpHeaders headers = ctx.request.headers();
        String cookies = headers.get(HttpHeaderNames.COOKIE);
        if (cookies == null) {
            return;
        }
        BackendConfig.Sticky sticky = ctx.backend.config().sticky();
        if (sticky != null) {
            String token = Cookies.value(cookies, sticky.cookie());
            ctx.stickyServer = ctx.backend.stickyServer(token);
            if (sticky.indirect() && token != null) {
                String rest = Cookies.without(cookies, sticky.cookie());
                if (rest == null) {
                    headers.remove(HttpHeaderNames.COOKIE);
                } else {
                    headers.set(HttpHeaderNames.COOKIE, rest);
                }
            }
        }
        String hashCookie = ctx.backend.config().hashCookie();
        if (hashCookie != null) {
            String value = Cookies.value(cookies, hashCookie);
            if (value != null && !value.isEmpty()) {
                ctx.hashKey = value;
            }
        }
    }

    @Override
    public Next onRequest(Exchange ex, RequestContext ctx) {
        String uri = ctx.uri;
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        ctx.normalPath = RequestPaths.normalize(rawPath);
        String target = ctx.normalPath == rawPath ? uri : ctx.normalPath + uri.substring(rawPath.length());
        ProxyRuntime.RouteTarget route = ex.runtime.router.route(ctx.host, uri.equals("*") ? "/" : target);
        if (ctx.ruleBackend != null) { // use-backend: the route's other settings stay, its backend is the rule's
            Backend chosen = ex.runtime.upstreams.backend(ctx.ruleBackend);
            route = route == null ? new ProxyRuntime.RouteTarget("rule:" + ctx.ruleBackend, chosen, false, null,
                    ex.runtime.config.compression(), io.ferry.config.EsiConfig.RouteMode.AUTO)
                    : new ProxyRuntime.RouteTarget(route.name(), chosen, route.cache(), route.redirectHttps(), route.compression(),
                    route.esi());
        }
        if (route == null) {
            ex.giveUp(HttpResponseStatus.NOT_FOUND, "no route for host " + ctx.host);
            return Next.ANSWERED;
        }
        ctx.route = route;
        ex.record.route = route.name();
        if (route.redirectHttps() != null && !ex.client.tls()) {
            ex.respondWith(new HttpsRedirectResponder(route.redirectHttps(), ctx.host));
            return Next.ANSWERED;
        }
        ctx.backend = route.backend();
        if (route.compression().enabled()) {
            // The client's field is kept for the compression phase; the request carries the one coding
            // Ferry will send, so the cache keeps one variant per coding (compressed once, found by the
            // clients it suits) and a backend that compresses itself uses that coding.
            ctx.acceptEncoding = ctx.request.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
            CompressionConfig.Algorithm chosen = Negotiation.choose(ctx.acceptEncoding, route.compression().algorithms());
            ctx.request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, chosen == null ? "identity" : chosen.token);
        }
        if (ex.runtime.esiAvailable(route)) { // Symfony and Drupal emit ESI markup only when a surrogate says it can
            ctx.request.headers().set(EsiPhase.SURROGATE_CAPABILITY, EsiPhase.CAPABILITY);
        }
        ex.record.backend = ctx.backend.name();
        ctx.hashKey = ctx.backend.hashesSource() ? ex.record.remoteAddr() : ctx.normalPath;
        if (ctx.backend.config().sticky() != null || ctx.backend.config().hashCookie() != null) {
            sessions(ctx);
        }
        ctx.backend.retryBudget().onRequest();
        if (Grpc.isGrpc(ctx.request) && !ctx.backend.config().protocol().multiplexed()) {
            ex.giveUp(HttpResponseStatus.BAD_GATEWAY, "gRPC needs an h2 or h2c backend; " + ctx.backend.name()
                    + " speaks " + ctx.backend.config().type() + " over HTTP/1.1 (never downgraded)");
            return Next.ANSWERED;
        }
        ctx.upgradeProtocol = RequestRules.forBackend(ctx.request, ex.receivedVersion(), ctx.host,
                ctx.backend.config(), ex.runtime.forwarded, ex.peerIp(), ex.client.tls());
        return Next.CONTINUE;
    }
}
