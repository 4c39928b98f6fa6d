package io.ferry.exchange;

import io.ferry.config.BackendConfig;
import io.ferry.http.ForwardedHeaders;
import io.ferry.http.HopByHopHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Locale;

/**
 * The request rules phase: the head is rewritten in place for the backend — hop-by-hop headers
 * removed (Upgrade kept for a protocol switch the backend allows: {@code upgrade-protocols}, default
 * WebSocket only, so {@code h2c} and the like cannot be smuggled past routing as a raw tunnel), Expect
 * answered by Ferry itself, X-Forwarded-* and Via added, HTTP/1.1 towards every backend.
 */
final class RequestRules {
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
    private RequestRules() {
    }

    /**
     * Rewrites {@code req} for the backend; returns the protocol an Upgrade request asks for, or null.
     *
     * @param host the client's Host; removed when the backend does not preserve it (set per server later)
     */
    static CharSequence forBackend(HttpRequest req, HttpVersion received, String host, BackendConfig backend,
                                   ForwardedHeaders forwarded, String clientIp, boolean tls) {
        HttpHeaders headers = req.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        CharSequence upgrade = upgradeRequested(req)
                ? allowed(headers.getAll(HttpHeaderNames.UPGRADE), backend.upgradeProtocols()) : null;
        // TE: trailers is end to end in HTTP/2 (gRPC sends it): kept towards an HTTP/2 server.
        boolean teTrailers = backend.protocol().multiplexed()
                && headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        HopByHopHeaders.strip(headers);
        if (teTrailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        headers.remove(HTTP2_SETTINGS); // belongs to an h2c upgrade, which is never forwarded
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (upgrade != null) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        if (host == null || !backend.preserveHost()) {
            headers.remove(HttpHeaderNames.HOST);
        }
        forwarded.onRequest(headers, received, clientIp, tls, host);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        return upgrade;
    }

    /**
     * The offered protocols a backend may be tunnelled to, in the client's order (RFC 9110 §7.8:
     * {@code name[/version]}, compared without case), or null when none is allowed.
     */
    static String allowed(List<String> offered, List<String> allowedNames) {
        StringBuilder kept = null;
        for (String field : offered) {
            for (String token : field.split(",")) {
                String t = token.trim();
                int slash = t.indexOf('/');
                String name = (slash < 0 ? t : t.substring(0, slash)).toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && allowedNames.contains(name)) {
                    kept = kept == null ? new StringBuilder(t) : kept.append(", ").append(t);
                }
            }
        }
        return kept == null ? null : kept.toString();
    }

    /** An HTTP/1.1 request asking to switch protocols (WebSocket): Upgrade, and Connection naming it. */
    private static boolean upgradeRequested(HttpRequest req) {
        HttpHeaders h = req.headers();
        return req.protocolVersion().minorVersion() >= 1 && h.contains(HttpHeaderNames.UPGRADE)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }
}
