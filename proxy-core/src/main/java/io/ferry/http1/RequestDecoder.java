package io.ferry.http1;

import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

/** Requests from a client (RFC 9112 §3, §6.3): without Content-Length or Transfer-Encoding there is no body. */
final class RequestDecoder extends Http1Decoder {
    /** The method of each request decoded and not yet answered, for the response encoder. */
    private final MethodQueue methods;

    RequestDecoder(int maxRequestLine, int maxHeaderSize, MethodQueue methods) {
        super(maxRequestLine, maxHeaderSize);
        this.methods = methods;
    }

    @Override
    HttpMessage startLine(HeadParser head) {
        HttpMethod method = head.method();
        String target = head.target();
        HttpVersion version = head.requestVersion();
        return new DefaultHttpRequest(version, method, target, head.fields);
    }

    @Override
    State framing(HttpMessage message, HeadParser head) {
        methods.add(((DefaultHttpRequest) message).method());
        if (head.transferEncodings > 0) {
            if (message.protocolVersion() == HttpVersion.HTTP_1_0) {
                throw new TransferEncodingNotAllowedException("Transfer-Encoding is only allowed in HTTP/1.1 or newer");
            }
            if (head.contentLengths > 0) {
                throw new IllegalArgumentException("a request with both Content-Length and Transfer-Encoding");
            }
            if (!head.chunkedLast || head.chunkedNotLast) {
                throw new IllegalArgumentException("the final transfer coding of a request must be chunked, once");
            }
            return State.CHUNK_SIZE;
        }
        return head.contentLength > 0 ? State.FIXED : State.HEAD;
    }

    @Override
    HttpMessage invalidMessage() {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request");
    }
}
