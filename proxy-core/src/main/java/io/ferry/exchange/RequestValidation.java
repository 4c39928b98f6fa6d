package io.ferry.exchange;

import io.ferry.config.Limits;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first phase: framing, limits and form of a request head (RFC 9112). A request that fails is
 * answered and never forwarded. An absolute-form target becomes origin form on the way.
 */
final class RequestValidation {
    private static final Logger log = LoggerFactory.getLogger(RequestValidation.class);

    private RequestValidation() {
    }

    /** Null when the request may go on; otherwise the status to answer with. */
    static HttpResponseStatus check(HttpRequest req, Limits limits, String clientIp) {
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            log.debug("rejecting malformed request from {}: {}", clientIp, String.valueOf(cause));
            if (cause instanceof TooLongHttpLineException) {
                return HttpResponseStatus.REQUEST_URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            }
            return HttpResponseStatus.BAD_REQUEST;
        }
        HttpVersion version = req.protocolVersion();
        if (version.majorVersion() != 1) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        if (version.minorVersion() <= 1 && version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            // RFC 9112 §2.3: the version is case-sensitive. Netty reads exactly "HTTP/1.1" and "HTTP/1.0" as
            // these two constants and anything else ("http/1.1") as a new, upper-cased instance.
            return HttpResponseStatus.BAD_REQUEST;
        }
        HttpHeaders headers = req.headers();
        if (headers.size() > limits.maxHeaders()) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        if (req.method() == HttpMethod.CONNECT) {
            return HttpResponseStatus.METHOD_NOT_ALLOWED;
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || version.minorVersion() >= 1 && hosts.isEmpty()) {
            return HttpResponseStatus.BAD_REQUEST; // RFC 9112 §3.2: exactly one Host in HTTP/1.1
        }
        String target = req.uri();
        if (!target.startsWith("/")) {
            if (target.equals("*") && req.method() == HttpMethod.OPTIONS) {
                // asterisk-form is valid for OPTIONS only
            } else if (!toOriginForm(req)) {
                return HttpResponseStatus.BAD_REQUEST;
            }
        }
        long length = HttpUtil.getContentLength(req, -1L);
        if (length > limits.maxBodySize()) {
            return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
            return HttpResponseStatus.EXPECTATION_FAILED;
        }
        return null;
    }

    /**
     * An absolute-form target ({@code http://host/path}) becomes origin form, and its authority
     * replaces the Host header (RFC 9112 §3.2.2).
     */
    private static boolean toOriginForm(HttpRequest req) {
        String target = req.uri();
        int start;
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            start = 7;
        } else if (target.regionMatches(true, 0, "https://", 0, 8)) {
            start = 8;
        } else {
            return false;
        }
        int slash = target.indexOf('/', start);
        int query = target.indexOf('?', start);
        int end = slash < 0 ? (query < 0 ? target.length() : query) : (query >= 0 && query < slash ? query : slash);
        String authority = target.substring(start, end);
        if (authority.isEmpty() || authority.indexOf('@') >= 0) {
            return false;
        }
        String rest = target.substring(end);
        String path = rest.isEmpty() ? "/" : rest.startsWith("?") ? "/" + rest : rest;
        req.headers().set(HttpHeaderNames.HOST, authority);
        req.setUri(path);
        return true;
    }
}
