package io.ferry.frontend;

import io.ferry.http1.HeaderBlock;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * An HTTP/2 request head (RFC 9113 §8.3) becomes the HTTP/1.1 request head the exchange works with — and
 * that an HTTP/1.1 backend may receive, so nothing in it may turn into a second request or an extra
 * header line. Everything §8.2 calls malformed is refused here (the codec checks much of it already;
 * this is the one place Ferry's own rules live): upper-case or invalid names, CR/LF/NUL or edge
 * whitespace in any value, connection-specific fields, {@code te} other than {@code trailers},
 * pseudo-headers repeated, unknown, after regular fields, missing or invalid. Cookie crumbs are joined
 * with "; " (§8.2.3) and {@code :authority} wins over a differing Host.
 */
final class Http2RequestHead {
    /** A request RFC 9113 §8.1.1 calls malformed: answered with RST_STREAM PROTOCOL_ERROR, never forwarded. */
    static final class Malformed extends Exception {
        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final AsciiString METHOD = AsciiString.cached(":method");
    private static final AsciiString SCHEME = AsciiString.cached(":scheme");
    private static final AsciiString PATH = AsciiString.cached(":path");
    private static final AsciiString AUTHORITY = AsciiString.cached(":authority");

    private Http2RequestHead() {
    }

    /**
     * @param endStream      the HEADERS frame ended the stream: there is no body
     * @param maxRequestLine limits.max-request-line, which method and path together may not pass (414)
     */
    static HttpRequest toHttp1(Http2Headers h2, boolean endStream, int maxRequestLine) throws Malformed {
        CharSequence method = null;
        CharSequence scheme = null;
        CharSequence path = null;
        CharSequence authority = null;
        boolean regularSeen = false;
        StringBuilder cookies = null;
        // A HeaderBlock, as an HTTP/1.1 head gets, with room for the exchange's edits; the three usual
        // pseudo-headers other than :authority (which becomes Host) take no field.
        HttpHeaders headers = new HeaderBlock(Math.max(1, h2.size() - 3) + HeaderBlock.EDIT_ROOM);
        DefaultHttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", headers);
        for (Map.Entry<CharSequence, CharSequence> field : h2) {
            CharSequence name = field.getKey();
            CharSequence value = field.getValue();
            checkValue(name, value);
            if (name.length() > 0 && name.charAt(0) == ':') {
                if (regularSeen) {
                    throw new Malformed("pseudo-header " + name + " after regular fields");
                }
                if (METHOD.contentEquals(name)) {
                    method = once(method, value, name);
                } else if (SCHEME.contentEquals(name)) {
                    scheme = once(scheme, value, name);
                } else if (PATH.contentEquals(name)) {
                    path = once(path, value, name);
                } else if (AUTHORITY.contentEquals(name)) {
                    authority = once(authority, value, name);
                } else {
                    throw new Malformed("pseudo-header " + name + " is not one of a request");
                }
                continue;
            }
            regularSeen = true;
            checkName(name);
            if (isConnectionSpecific(name, value)) {
                throw new Malformed("connection-specific field " + name);
            }
            if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                cookies = cookies == null ? new StringBuilder(value) : cookies.append("; ").append(value);
            } else {
                headers.add(name, value);
            }
        }
        if (method == null) {
            throw new Malformed("no :method");
        }
        HttpMethod m = method(method);
        boolean connect = m == HttpMethod.CONNECT;
        if (connect) {
            if (scheme != null || path != null || authority == null) {
                throw new Malformed("CONNECT needs :authority and no :scheme or :path");
            }
            path = authority; // answered 405 by the exchange, as on HTTP/1.1
        } else {
            if (scheme == null || path == null || path.length() == 0) {
                throw new Malformed("missing :scheme or :path");
            }
            if (!AsciiString.contentEqualsIgnoreCase(scheme, "http")
                    && !AsciiString.contentEqualsIgnoreCase(scheme, "https")) {
                throw new Malformed(":scheme " + scheme + " is not http or https");
            }
            boolean asterisk = path.length() == 1 && path.charAt(0) == '*';
            if (path.charAt(0) != '/' && !(asterisk && m == HttpMethod.OPTIONS)) {
                throw new Malformed(":path must begin with / (or be * for OPTIONS)");
            }
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                if (c <= ' ' || c >= 0x7f) {
                    throw new Malformed(":path holds a space or control character");
                }
            }
        }
        req.setMethod(m);
        req.setUri(path.toString());
        if (authority != null) {
            headers.set(HttpHeaderNames.HOST, authority); // §8.3.1: :authority over Host
        }
        if (cookies != null) {
            headers.set(HttpHeaderNames.COOKIE, cookies.toString());
        }
        if (!endStream && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            // The body has no length of its own: framed as chunked on its way to an HTTP/1.1 server.
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (method.length() + path.length() + 10 > maxRequestLine) {
            req.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException(
                    "method and path are longer than limits.max-request-line")));
        }
        return req;
    }

    /** RFC 9113 §8.2.1: lower case, and what RFC 9110 allows in a field name. */
    static void checkName(CharSequence name) throws Malformed {
        if (name.length() == 0) {
            throw new Malformed("empty field name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z' || !HeaderBlock.isTokenChar(c)) {
                throw new Malformed("invalid field name " + name);
            }
        }
    }

    /** RFC 9113 §8.2.1: no NUL, CR or LF anywhere, no whitespace at either end. */
    static void checkValue(CharSequence name, CharSequence value) throws Malformed {
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\r' || c == '\n') {
                throw new Malformed("NUL, CR or LF in the value of " + safe(name));
            }
        }
        if (n > 0 && (isSpace(value.charAt(0)) || isSpace(value.charAt(n - 1)))) {
            throw new Malformed("whitespace at an end of the value of " + safe(name));
        }
    }

    private static boolean isConnectionSpecific(CharSequence name, CharSequence value) {
        return HttpHeaderNames.CONNECTION.contentEquals(name) || HttpHeaderNames.KEEP_ALIVE.contentEquals(name)
                || HttpHeaderNames.PROXY_CONNECTION.contentEquals(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEquals(name)
                || HttpHeaderNames.UPGRADE.contentEquals(name)
                || HttpHeaderNames.TE.contentEquals(name) && !HttpHeaderValues.TRAILERS.contentEquals(value);
    }

    private static CharSequence once(CharSequence seen, CharSequence value, CharSequence name) throws Malformed {
        if (seen != null) {
            throw new Malformed("pseudo-header " + name + " repeated");
        }
        return value;
    }

    private static final HttpMethod[] KNOWN_METHODS = {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
        HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.CONNECT, HttpMethod.TRACE};

    /** The method: one of Netty's constants when it is a known one (no String made), else a token. */
    private static HttpMethod method(CharSequence value) throws Malformed {
        for (HttpMethod known : KNOWN_METHODS) {
            if (known.asciiName().contentEquals(value)) {
                return known;
            }
        }
        return HttpMethod.valueOf(token(value, ":method"));
    }

    private static String token(CharSequence value, String what) throws Malformed {
        if (value.length() == 0) {
            throw new Malformed("empty " + what);
        }
        for (int i = 0; i < value.length(); i++) {
            if (!HeaderBlock.isTokenChar(value.charAt(i))) {
                throw new Malformed("invalid " + what);
            }
        }
        return value.toString();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    private static String safe(CharSequence name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length() && i < 64; i++) {
            char c = name.charAt(i);
            sb.append(c < ' ' || c >= 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
