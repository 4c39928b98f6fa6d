package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/** The bytes of HTTP/1.1 message heads and of chunk framing (RFC 9112 §3, §4, §5, §7.1). */
final class MessageHeads {
    private static final byte[] HTTP_1_1 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_1_0 = "HTTP/1.0 ".getBytes(StandardCharsets.US_ASCII);
    /** "200 OK\r\n" and the like, for each status Netty names, by code. */
    private static final byte[][] STATUS_LINES = new byte[600][];
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    static {
        for (int code = 100; code < 600; code++) {
            HttpResponseStatus status = HttpResponseStatus.valueOf(code);
            if (!status.reasonPhrase().startsWith("Unknown Status")) {
                STATUS_LINES[code] = (code + " " + status.reasonPhrase() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            }
        }
    }

    private MessageHeads() {
    }

    /** The buffer size for the next head: near the recent ones', so one rarely grows. */
    static int nextGuess(int guess, int used) {
        return Math.max(128, Math.min(8192, (guess * 3 + used + 32) / 4));
    }

    /** RFC 9112 §6.3: 1xx, 204 and 304 never have a body; 205 none either (RFC 9110 §15.3.6). */
    static boolean alwaysEmpty(HttpResponse response) {
        HttpResponseStatus status = response.status();
        int code = status.code();
        if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
            // a 101 of the pre-RFC 6455 WebSocket handshake is followed by its challenge bytes
            return code != 101 || !response.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        }
        return code == 204 || code == 304 || code == 205;
    }

    /** A 1xx or 204 sends no framing fields; a 205 says its empty body's length (RFC 9110 §15.3.6). */
    static void sanitizeBodyless(HttpResponse response) {
        int code = response.status().code();
        HttpHeaders headers = response.headers();
        if (code < 200 || code == 204) {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        } else if (code == 205) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
    }

    /** Request line, fields and the empty line. */
    static void writeRequestHead(ByteBuf out, HttpRequest request) {
        writeText(out, request.method().asciiName());
        out.writeByte(' ');
        writeTarget(out, request.uri());
        out.writeByte(' ');
        HttpVersion version = request.protocolVersion();
        if (version == HttpVersion.HTTP_1_1) {
            out.writeBytes(HTTP_1_1, 0, HTTP_1_1.length - 1);
        } else {
            writeText(out, version.text());
        }
        out.writeShort(('\r' << 8) | '\n');
        writeFields(out, request.headers());
        out.writeShort(('\r' << 8) | '\n');
    }

    /** Status line, fields and the empty line. */
    static void writeHead(ByteBuf out, HttpResponse response) {
        HttpVersion version = response.protocolVersion();
        if (version == HttpVersion.HTTP_1_1) {
            out.writeBytes(HTTP_1_1);
        } else if (version == HttpVersion.HTTP_1_0) {
            out.writeBytes(HTTP_1_0);
        } else {
            writeText(out, version.text());
            out.writeByte(' ');
        }
        HttpResponseStatus status = response.status();
        int code = status.code();
        byte[] line = code >= 100 && code < 600 ? STATUS_LINES[code] : null;
        if (line != null && status == HttpResponseStatus.valueOf(code)) {
            out.writeBytes(line);
        } else {
            writeText(out, status.codeAsText());
            out.writeByte(' ');
            writeText(out, status.reasonPhrase());
            out.writeShort(('\r' << 8) | '\n');
        }
        writeFields(out, response.headers());
        out.writeShort(('\r' << 8) | '\n');
    }

    /** {@code name: value CRLF} for each field. */
    static void writeFields(ByteBuf out, HttpHeaders headers) {
        if (headers instanceof HeaderBlock block) {
            block.writeTo(out);
            return;
        }
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            writeText(out, field.getKey());
            out.writeByte(':').writeByte(' ');
            writeText(out, field.getValue());
            out.writeShort(('\r' << 8) | '\n');
        }
    }

    /** A chunk's size line: hex digits, CRLF. */
    static void chunkSize(ByteBuf out, long size) {
        int digits = Math.max(1, (67 - Long.numberOfLeadingZeros(size)) / 4);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            out.writeByte(HEX[(int) (size >>> shift) & 0xF]);
        }
        out.writeShort(('\r' << 8) | '\n');
    }

    /** The last chunk, its trailer fields and the empty line that ends the message. */
    static void lastChunk(ByteBuf out, HttpHeaders trailers) {
        out.writeByte('0').writeShort(('\r' << 8) | '\n');
        if (trailers != null && !trailers.isEmpty()) {
            writeFields(out, trailers);
        }
        out.writeShort(('\r' << 8) | '\n');
    }

    /**
     * The request target: as received (ISO-8859-1 bytes round-trip); "/" for an empty one; an absolute
     * form without a path gets "/" before its query or end (what Netty's request encoder does); a
     * character beyond ISO-8859-1 (a configured rewrite) in UTF-8.
     */
    private static void writeTarget(ByteBuf out, String uri) {
        if (uri.isEmpty()) {
            out.writeByte('/');
            return;
        }
        int scheme = uri.indexOf("://");
        int slashAt = -1;
        if (scheme > 0 && uri.charAt(0) != '/') {
            int authority = scheme + 3;
            int query = uri.indexOf('?', authority);
            int end = query < 0 ? uri.length() : query;
            if (uri.lastIndexOf('/', end - 1) < authority) {
                slashAt = end;
            }
        }
        for (int i = 0; i < uri.length(); i++) {
            if (i == slashAt) {
                out.writeByte('/');
            }
            char c = uri.charAt(i);
            if (c <= 0xFF) {
                out.writeByte(c);
            } else {
                out.writeCharSequence(String.valueOf(c), StandardCharsets.UTF_8);
            }
        }
        if (slashAt == uri.length()) {
            out.writeByte('/');
        }
    }

    private static void writeText(ByteBuf out, CharSequence s) {
        if (s instanceof AsciiString a) {
            out.writeBytes(a.array(), a.arrayOffset(), a.length());
            return;
        }
        int n = s.length();
        out.ensureWritable(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            out.writeByte(c > 0xFF ? '?' : c); // ISO-8859-1 as received; beyond it nothing to say
        }
    }
}
