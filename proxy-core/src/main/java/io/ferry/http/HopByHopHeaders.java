package io.ferry.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110 §7.6.1):
 * Connection and every field it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade and
 * Transfer-Encoding. Framing is re-derived by the proxy for the next hop.
 */
public final class HopByHopHeaders {
    static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    private HopByHopHeaders() {
    }

    public static void strip(HttpHeaders headers) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (int i = 0; i < connection.size(); i++) {
            removeListed(headers, connection.get(i));
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.UPGRADE);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    }

    private static void removeListed(HttpHeaders headers, String value) {
        int start = 0;
        int len = value.length();
        while (start < len) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? len : comma;
            int s = start;
            int e = end;
            while (s < e && isSpace(value.charAt(s))) {
                s++;
            }
            while (e > s && isSpace(value.charAt(e - 1))) {
                e--;
            }
            if (e > s && !isConnectionOption(value, s, e)) {
                headers.remove(value.substring(s, e));
            }
            start = end + 1;
        }
    }

    /** close and keep-alive are connection options, not header names; skip the removal call. */
    private static boolean isConnectionOption(String value, int s, int e) {
        int n = e - s;
        return n == 5 && value.regionMatches(true, s, "close", 0, 5)
                || n == 10 && value.regionMatches(true, s, "keep-alive", 0, 10);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
