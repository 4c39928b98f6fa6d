package io.ferry.config;

import java.util.List;

/**
 * One listening socket.
 *
 * @param tls       null for plain HTTP
 * @param protocols what the listener speaks: {@code h2} and/or {@code http/1.1} (ALPN on TLS, the
 *                  connection preface on cleartext)
 * @param proxyProtocol     every connection starts with a PROXY protocol header (v1 or v2) naming the client
 * @param proxyProtocolFrom the networks allowed to send it; connections from elsewhere are closed
 * @param redirectHttps     answer every request with a redirect to https, or null
 */
public record ListenerConfig(
        String name,
        String bind,
        int port,
        int backlog,
        boolean reuseAddress,
        boolean tcpNoDelay,
        TlsConfig tls,
        List<String> protocols,
        boolean proxyProtocol,
        List<String> proxyProtocolFrom,
        HttpsRedirect redirectHttps) {
    public static final String H2 = "h2";
    public static final String HTTP_1_1 = "http/1.1";

    /** Where a plain-HTTP request is sent instead: the same host and target on https, with this status. */
    public record HttpsRedirect(int code, int port) {
    }

    public boolean isTls() {
        return tls != null;
    }

    public boolean speaksHttp2() {
        return protocols.contains(H2);
    }

    public boolean speaksHttp1() {
        return protocols.contains(HTTP_1_1);
    }
}
