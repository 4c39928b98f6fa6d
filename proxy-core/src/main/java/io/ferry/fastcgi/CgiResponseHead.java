package io.ferry.fastcgi;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Parses the header block a CGI script writes before its body (RFC 3875 §6): {@code Name: value}
 * lines ending in LF or CRLF, then an empty line. {@code Status} sets the status; a {@code Location}
 * without a status is a 302 redirect (§6.2.3).
 */
final class CgiResponseHead {
    private CgiResponseHead() {
    }

    /** Index just past the blank line that ends the header block, or -1 if it has not arrived yet. */
    static int endOfHeaders(ByteBuf buf) {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = start; i < end; i++) {
            if (buf.getByte(i) != '\n') {
                continue;
            }
            if (i + 1 < end && buf.getByte(i + 1) == '\n') {
                return i + 2;
            }
            if (i + 2 < end && buf.getByte(i + 1) == '\r' && buf.getByte(i + 2) == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** Builds the response from the header bytes; throws IllegalArgumentException when malformed. */
    static HttpResponse parse(ByteBuf headerBlock) {
        String text = headerBlock.toString(StandardCharsets.ISO_8859_1);
        HttpHeaders headers = new DefaultHttpHeaders();
        HttpResponseStatus status = null;
        for (String rawLine : text.split("\n")) {
            String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("malformed CGI header line: " + abbreviate(line));
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) {
                status = parseStatus(value);
            } else {
                headers.add(name, value);
            }
        }
        if (status == null) {
            status = headers.contains(HttpHeaderNames.LOCATION) ? HttpResponseStatus.FOUND : HttpResponseStatus.OK;
        }
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
    }

    private static HttpResponseStatus parseStatus(String value) {
        String code = value.length() >= 3 ? value.substring(0, 3) : value;
        int c;
        try {
            c = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed CGI Status: " + abbreviate(value));
        }
        if (c < 200 || c > 599) {
            throw new IllegalArgumentException("CGI Status out of range: " + c);
        }
        String reason = value.length() > 4 ? value.substring(4).trim() : "";
        return reason.isEmpty() ? HttpResponseStatus.valueOf(c) : new HttpResponseStatus(c, reason);
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
