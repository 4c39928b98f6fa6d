package io.ferry.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * The headers a reverse proxy adds on the way in (X-Forwarded-For appended, X-Forwarded-Proto and
 * X-Forwarded-Host set, Via appended) and on the way out (Via appended). Values derived from the
 * listener and the proxy name are built once, not per request.
 */
public final class ForwardedHeaders {
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    private final AsciiString via10;
    private final AsciiString via11;
    private final AsciiString via2;

    public ForwardedHeaders(String pseudonym) {
        this.via10 = new AsciiString("1.0 " + pseudonym);
        this.via11 = new AsciiString("1.1 " + pseudonym);
        this.via2 = new AsciiString("2 " + pseudonym);
    }

    /** Adds the forwarding headers to a request about to go upstream. */
    public void onRequest(HttpHeaders headers, HttpVersion received, String clientIp, boolean tls,
                          CharSequence originalHost) {
        String xff = headers.get(X_FORWARDED_FOR);
        if (xff == null) {
            headers.set(X_FORWARDED_FOR, clientIp);
        } else {
            headers.set(X_FORWARDED_FOR, xff + ", " + clientIp);
        }
        headers.set(X_FORWARDED_PROTO, tls ? HTTPS : HTTP);
        if (originalHost != null) {
            headers.set(X_FORWARDED_HOST, originalHost);
        } else {
            headers.remove(X_FORWARDED_HOST);
        }
        appendVia(headers, received);
    }

    /** Appends this proxy to the Via of a response about to go to the client. */
    public void onResponse(HttpHeaders headers, HttpVersion received) {
        appendVia(headers, received);
    }

    private void appendVia(HttpHeaders headers, HttpVersion received) {
        AsciiString hop = received.majorVersion() == 2 ? via2
                : received.minorVersion() == 0 && received.majorVersion() == 1 ? via10 : via11;
        String via = headers.get(HttpHeaderNames.VIA);
        if (via == null) {
            headers.set(HttpHeaderNames.VIA, hop);
        } else {
            headers.set(HttpHeaderNames.VIA, via + ", " + hop);
        }
    }
}
