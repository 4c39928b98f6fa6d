package io.ferry.exchange;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/** Recognises gRPC requests, which only an HTTP/2 backend may receive (gRPC-Web is ordinary HTTP). */
final class Grpc {
    private Grpc() {
    }

    /** Content-Type application/grpc, alone or with a +codec suffix or parameters. */
    static boolean isGrpc(HttpRequest req) {
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null || !type.regionMatches(true, 0, "application/grpc", 0, 16)) {
            return false;
        }
        if (type.length() == 16) {
            return true;
        }
        char next = type.charAt(16);
        return next == '+' || next == ';';
    }
}
