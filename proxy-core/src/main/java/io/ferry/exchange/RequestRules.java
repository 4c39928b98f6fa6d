package io.ferry.exchange;

import io.ferry.http.ForwardedHeaders;
import io.ferry.http.HopByHopHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The request rules phase: the head is rewritten in place for the backend — hop-by-hop headers
 * removed (Upgrade kept for a protocol switch), Expect answered by Ferry itself, X-Forwarded-* and
 * Via added, HTTP/1.1 towards every backend.
 */
final class RequestRules {
    private RequestRules() {
    }

    /**
     * Rewrites {@code req} for the backend; returns the protocol an Upgrade request asks for, or null.
     *
     * @param host the client's Host; removed when the backend does not preserve it (set per server later)
     */
    static CharSequence forBackend(HttpRequest req, String host, boolean preserveHost, ForwardedHeaders forwarded,
                                   String clientIp, boolean tls) {
        HttpHeaders headers = req.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        CharSequence upgrade = upgradeRequested(req) ? headers.get(HttpHeaderNames.UPGRADE) : null;
        HopByHopHeaders.strip(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (upgrade != null) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        if (host == null || !preserveHost) {
            headers.remove(HttpHeaderNames.HOST);
        }
        forwarded.onRequest(headers, req.protocolVersion(), clientIp, tls, host);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        return upgrade;
    }

    /** An HTTP/1.1 request asking to switch protocols (WebSocket): Upgrade, and Connection naming it. */
    private static boolean upgradeRequested(HttpRequest req) {
        HttpHeaders h = req.headers();
        return req.protocolVersion().minorVersion() >= 1 && h.contains(HttpHeaderNames.UPGRADE)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }
}
