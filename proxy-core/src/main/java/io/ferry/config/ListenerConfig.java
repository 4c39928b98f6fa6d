package io.ferry.config;

import java.util.List;

/**
 * One listening socket.
 *
 * @param tls       null for plain HTTP
 * @param protocols what the listener speaks: {@code h2} and/or {@code http/1.1} (ALPN on TLS, the
 *                  connection preface on cleartext)
 */
public record ListenerConfig(
        String name,
        String bind,
        int port,
        int backlog,
        boolean reuseAddress,
        boolean tcpNoDelay,
        TlsConfig tls,
        List<String> protocols) {
    public static final String H2 = "h2";
    public static final String HTTP_1_1 = "http/1.1";

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
