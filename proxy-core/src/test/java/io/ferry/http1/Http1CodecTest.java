package io.ferry.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lean HTTP/1.1 codec against Netty's own, input by input: what Netty accepts decodes to the same
 * messages (method, target, version, every field, every body byte, trailers), what Netty refuses is
 * refused too, and the few inputs Ferry refuses on purpose beyond Netty (obs-fold, control characters
 * in the target, a start line without a version) are refused. Every input is also fed one byte at a
 * time, which must decode exactly as the whole does.
 */
class Http1CodecTest {
    private static final int MAX_LINE = 4096;
    private static final int MAX_HEADER = 8192;

    static Stream<String> requests() {
        return Stream.of(
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /p?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8\r\nAccept: */*\r\nCookie: a=b; c=d\r\n\r\n",
                "GET / HTTP/1.0\r\n\r\n",
                "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET  /  HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / http/1.1\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
                "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
                "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
                "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.1\nHost: a\n\n",
                "GET / HTTP/1.1\r\nHost: a\n\r\n",
                "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\u0001b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: a\u007f\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: \u00e9\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX:   padded   \r\n\r\n",
                "GET / HTTP/1.1\r\nHost a\r\n\r\n",
                "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\nA ; ext\r\n0123456789\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nhello\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\nContent-Length: 5\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX T: 1\r\n\r\n",
                "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nPOST /three HTTP/1.1\r\nHost: a\r\n"
                        + "Content-Length: 2\r\n\r\nokGET /four HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: " + "v".repeat(MAX_HEADER) + "\r\n\r\n",
                "GET /" + "p".repeat(MAX_LINE) + " HTTP/1.1\r\nHost: a\r\n\r\n");
    }

    /** Inputs Netty lets through and Ferry refuses on purpose (RFC 9112 allows either; refusing is safer). */
    static Stream<String> refusedBeyondNetty() {
        return Stream.of(
                "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", // obs-fold, §5.2
                "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n",       // a control character in the target
                "GET /\u007f HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /\r\nHost: a\r\n\r\n",                        // no version (Netty skips the line silently)
                " GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n");
    }

    @ParameterizedTest
    @MethodSource("requests")
    void requestsDecodeAsNettyDecodesThem(String input) {
        String netty = transcript(() -> new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADER)), input, false);
        String lean = transcript(() -> new Http1ServerCodec(MAX_LINE, MAX_HEADER), input, false);
        assertEquals(netty, lean, "input: " + printable(input));
        assertEquals(lean, transcript(() -> new Http1ServerCodec(MAX_LINE, MAX_HEADER), input, true),
                "byte by byte: " + printable(input));
    }

    @ParameterizedTest
    @MethodSource("refusedBeyondNetty")
    void someInputsAreRefusedWhereNettyIsLenient(String input) {
        String lean = transcript(() -> new Http1ServerCodec(MAX_LINE, MAX_HEADER), input, false);
        assertTrue(lean.contains("FAIL"), printable(input) + " -> " + lean);
        assertEquals(lean, transcript(() -> new Http1ServerCodec(MAX_LINE, MAX_HEADER), input, true));
    }

    @Test
    void limitsGiveTheExceptionsThatMapTo414And431() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1ServerCodec(64, 128));
        ch.writeInbound(ascii("GET /" + "a".repeat(100)));
        HttpRequest r = ch.readInbound();
        assertTrue(r.decoderResult().cause() instanceof TooLongHttpLineException, String.valueOf(r.decoderResult()));
        ch.finishAndReleaseAll();
        ch = new EmbeddedChannel(new Http1ServerCodec(64, 128));
        ch.writeInbound(ascii("GET / HTTP/1.1\r\nX: " + "a".repeat(200)));
        r = ch.readInbound();
        assertTrue(r.decoderResult().cause() instanceof TooLongHttpHeaderException, String.valueOf(r.decoderResult()));
        ch.finishAndReleaseAll();
    }

    static Stream<Arguments> responses() {
        return Stream.of(
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\nETag: \"e\"\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("GET", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                Arguments.of("GET", "HTTP/1.1 404 Gone Fishing\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"),
                Arguments.of("GET", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: x\r\n\r\n\u0081\u0002hi"));
    }

    @ParameterizedTest
    @MethodSource("responses")
    void responsesDecodeAsNettyDecodesThem(String methodName, String input) {
        HttpMethod method = HttpMethod.valueOf(methodName);
        String netty = responseTranscript(() -> new HttpClientCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADER), false, false), method, input, false);
        String lean = responseTranscript(() -> new Http1ClientCodec(MAX_LINE, MAX_HEADER), method, input, false);
        assertEquals(netty, lean, "input: " + printable(input));
        assertEquals(lean, responseTranscript(() -> new Http1ClientCodec(MAX_LINE, MAX_HEADER), method, input, true));
    }

    @Test
    void aFieldNameWithSpaceFromABackendIsRefusedWhereNettyCutsItShort() {
        String lean = responseTranscript(() -> new Http1ClientCodec(MAX_LINE, MAX_HEADER), HttpMethod.GET,
                "HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n", false);
        assertEquals("FAIL ", lean);
    }

    @Test
    void aBodyReadToTheCloseEndsAtTheClose() {
        for (boolean lean : new boolean[] {false, true}) {
            EmbeddedChannel ch = new EmbeddedChannel(lean ? new Http1ClientCodec(MAX_LINE, MAX_HEADER)
                    : new HttpClientCodec(new HttpDecoderConfig(), false, false));
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            ch.releaseOutbound();
            ch.writeInbound(ascii("HTTP/1.0 200 OK\r\n\r\nsome"), ascii(" body"));
            ch.finish();
            List<String> seen = new ArrayList<>();
            Object o;
            while ((o = ch.readInbound()) != null) {
                seen.add(describe(o));
            }
            assertEquals(List.of("RESPONSE 200 OK HTTP/1.0 []", "CONTENT some", "CONTENT  body", "LAST "), seen,
                    lean ? "lean" : "netty");
        }
    }

    @Test
    void editedFieldsAreWrittenWithTheReceivedOnesAsTheyCame() {
        EmbeddedChannel server = new EmbeddedChannel(new Http1ServerCodec(MAX_LINE, MAX_HEADER));
        server.writeInbound(ascii("GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                + "X-Forwarded-For: 10.0.0.1\r\nUser-Agent:  spaced\tagent  \r\nAccept: \u00e9\r\n\r\n"));
        HttpRequest req = server.readInbound();
        assertEquals("spaced\tagent", req.headers().get("user-agent"));
        req.headers().remove(HttpHeaderNames.CONNECTION).remove("x-hop");
        req.headers().set("X-Forwarded-For", req.headers().get("x-forwarded-for") + ", 127.0.0.1");
        req.headers().add("Via", "1.1 ferry");
        EmbeddedChannel client = new EmbeddedChannel(new Http1ClientCodec(MAX_LINE, MAX_HEADER));
        client.writeOutbound(req, LastHttpContent.EMPTY_LAST_CONTENT);
        StringBuilder wire = new StringBuilder();
        ByteBuf b;
        while ((b = client.readOutbound()) != null) {
            wire.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        assertEquals("GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent:  spaced\tagent\r\nAccept: \u00e9\r\n"
                + "X-Forwarded-For: 10.0.0.1, 127.0.0.1\r\nVia: 1.1 ferry\r\n\r\n", wire.toString());
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    @Test
    void aValueThatWouldSplitTheMessageIsRefused() {
        HeaderBlock h = new HeaderBlock();
        try {
            h.set("X-Evil", "a\r\nInjected: 1");
        } catch (IllegalArgumentException expected) {
            assertTrue(h.isEmpty());
            return;
        }
        throw new AssertionError("a CRLF in a value was accepted");
    }

    @Test
    void aResponseToHeadCarriesNoBodyAndAPipelinedGetDoes() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1ServerCodec(MAX_LINE, MAX_HEADER));
        ch.writeInbound(ascii("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        for (int i = 0; i < 4; i++) {
            ReferenceCountUtil.release(ch.readInbound());
        }
        for (int i = 0; i < 2; i++) {
            var res = new io.netty.handler.codec.http.DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpResponseStatus.OK, ascii("body"));
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 4);
            ch.writeOutbound(res);
        }
        StringBuilder wire = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            wire.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody",
                wire.toString());
        ch.finishAndReleaseAll();
    }

    // ---------------------------------------------------------------- transcripts

    private static String transcript(Supplier<ChannelHandler> codec, String input, boolean byteByByte) {
        EmbeddedChannel ch = new EmbeddedChannel(codec.get());
        feed(ch, input, byteByByte);
        String t = drain(ch);
        ch.finishAndReleaseAll();
        return t;
    }

    private static String responseTranscript(Supplier<ChannelHandler> codec, HttpMethod method, String input,
                                             boolean byteByByte) {
        EmbeddedChannel ch = new EmbeddedChannel(codec.get());
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
        ch.releaseOutbound();
        feed(ch, input, byteByByte);
        String t = drain(ch);
        ch.finishAndReleaseAll();
        return t;
    }

    private static void feed(EmbeddedChannel ch, String input, boolean byteByByte) {
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        if (!byteByByte) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes));
            return;
        }
        for (byte b : bytes) {
            if (!ch.isOpen()) {
                break;
            }
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
    }

    /** What came out, with body bytes joined (the split into parts depends on how the bytes arrived). */
    private static String drain(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        StringBuilder body = new StringBuilder();
        Object o;
        while ((o = ch.readInbound()) != null) {
            if (o instanceof HttpObject http && http.decoderResult().isFailure()) {
                sb.append(body).append("FAIL ");
                body.setLength(0);
                ReferenceCountUtil.release(o);
                break; // what a failed message carries differs between the two; what matters is the refusal
            }
            if (o instanceof HttpContent c && !(o instanceof LastHttpContent)) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
            } else if (o instanceof LastHttpContent last && !(o instanceof HttpRequest) && !(o instanceof HttpResponse)) {
                body.append(last.content().toString(StandardCharsets.ISO_8859_1));
                sb.append("BODY[").append(body).append("] TRAILERS").append(last.trailingHeaders().entries()).append(' ');
                body.setLength(0);
            } else if (o instanceof ByteBuf raw) {
                body.append(raw.toString(StandardCharsets.ISO_8859_1)); // bytes after a protocol switch
            } else {
                sb.append(describe(o)).append(' ');
            }
            ReferenceCountUtil.release(o);
        }
        return sb.append(body).toString();
    }

    private static String describe(Object o) {
        if (o instanceof HttpRequest r) {
            return "REQUEST " + r.method() + " " + r.uri() + " " + r.protocolVersion()
                    + (r.protocolVersion() == HttpVersion.HTTP_1_1 || r.protocolVersion() == HttpVersion.HTTP_1_0 ? "" : "(new)")
                    + " " + r.headers().entries();
        }
        if (o instanceof HttpResponse r) {
            return "RESPONSE " + r.status() + " " + r.protocolVersion() + " " + r.headers().entries();
        }
        if (o instanceof LastHttpContent c) {
            return "LAST " + c.content().toString(StandardCharsets.ISO_8859_1);
        }
        if (o instanceof HttpContent c) {
            return "CONTENT " + c.content().toString(StandardCharsets.ISO_8859_1);
        }
        return String.valueOf(o);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
