package io.ferry.http;

import io.netty.handler.codec.http.HttpVersion;

/** Protocol versions Netty has no constant for. */
public final class Versions {
    /** A request received over HTTP/2: "HTTP/2.0" in the access log and CGI, "2" in Via. */
    public static final HttpVersion HTTP_2 = new HttpVersion("HTTP", 2, 0, true);

    private Versions() {
    }
}
