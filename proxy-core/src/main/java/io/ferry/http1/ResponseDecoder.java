package io.ferry.http1;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Responses from a backend (RFC 9112 §4, §6.3): no body after HEAD, 1xx, 204 or 304; chunked when the
 * last transfer coding says so (with a Content-Length too, refused); a Content-Length body; else until the
 * backend closes. After a 101 or a 2xx to CONNECT the bytes that follow are passed on raw.
 */
final class ResponseDecoder extends Http1Decoder {
    private final MethodQueue methods;
    /** The request method this response answers, once a final response's head is read. */
    private HttpMethod answering;

    ResponseDecoder(int maxStatusLine, int maxHeaderSize, MethodQueue methods) {
        super(maxStatusLine, maxHeaderSize);
        this.methods = methods;
    }

    @Override
    HttpMessage startLine(HeadParser head) {
        HttpVersion version = head.responseVersion();
        int code = head.statusCode();
        String reason = head.reason();
        return new DefaultHttpResponse(version, HttpResponseStatus.valueOf(code, reason), head.fields);
    }

    @Override
    State framing(HttpMessage message, HeadParser head) {
        int code = ((HttpResponse) message).status().code();
        if (code < 200) {
            answering = null; // interim: the request is still waiting for its final response
            return State.HEAD;
        }
        answering = methods.poll();
        if (answering == HttpMethod.HEAD || code == 204 || code == 304
                || answering == HttpMethod.CONNECT && code < 300) {
            return State.HEAD;
        }
        if (head.transferEncodings > 0) {
            if (head.chunkedNotLast) {
                throw new IllegalArgumentException("chunked is not the last transfer coding");
            }
            if (head.contentLengths > 0) { // RFC 9112 §6.3: smuggling or splitting; refused as Netty does
                throw new IllegalArgumentException("a response with both Content-Length and Transfer-Encoding");
            }
            return head.chunkedLast ? State.CHUNK_SIZE : State.UNTIL_CLOSE;
        }
        return head.contentLengths > 0 ? State.FIXED : State.UNTIL_CLOSE;
    }

    @Override
    State afterMessage(HttpMessage message) {
        if (message instanceof HttpResponse res) {
            int code = res.status().code();
            if (code == 101 || answering == HttpMethod.CONNECT && code >= 200 && code < 300) {
                return State.UPGRADED; // the connection is no longer HTTP
            }
        }
        return State.HEAD;
    }

    @Override
    HttpMessage invalidMessage() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_0, new HttpResponseStatus(999, "Unknown"));
    }
}
