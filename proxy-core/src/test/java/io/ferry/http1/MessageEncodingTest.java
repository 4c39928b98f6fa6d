package io.ferry.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ferry's HTTP/1.1 encoders against Netty's, case by case. Responses against HttpServerCodec: the same
 * request read, the same response objects written, the same bytes on the wire — status lines known and
 * unknown, fields, bodies with a length (small ones joined to their head), chunked bodies with and without
 * trailers, and the responses that carry no body (HEAD, 1xx, 204, 205, 304, a 2xx to CONNECT). Requests
 * against HttpClientCodec's encoder, the same way.
 */
class MessageEncodingTest {

    /** The objects a front end writes for one response, made fresh for each codec. */
    record Case(String name, String request, Supplier<List<Object>> writes) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Body bytes in a direct buffer, as they come from a socket (small ones are copied into the head's by address). */
    private static ByteBuf ascii(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    }

    private static DefaultHttpResponse head(HttpResponseStatus status, String... fields) {
        DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        for (int i = 0; i < fields.length; i += 2) {
            r.headers().add(fields[i], fields[i + 1]);
        }
        return r;
    }

    private static DefaultFullHttpResponse full(HttpResponseStatus status, String body, String... fields) {
        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, ascii(body));
        for (int i = 0; i < fields.length; i += 2) {
            r.headers().add(fields[i], fields[i + 1]);
        }
        return r;
    }

    private static LastHttpContent lastWithTrailers(String body, String... fields) {
        DefaultLastHttpContent last = new DefaultLastHttpContent(ascii(body));
        for (int i = 0; i < fields.length; i += 2) {
            last.trailingHeaders().add(fields[i], fields[i + 1]);
        }
        return last;
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String BIG = "x".repeat(5000);

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("full, small body", GET, () -> List.of(full(HttpResponseStatus.OK, "hello", "Content-Length", "5"))),
                new Case("full, large body", GET, () -> List.of(full(HttpResponseStatus.OK, BIG, "Content-Length", "5000"))),
                new Case("full, empty", GET, () -> List.of(full(HttpResponseStatus.NOT_FOUND, "", "Content-Length", "0"))),
                new Case("head then parts", GET, () -> List.of(head(HttpResponseStatus.OK, "Content-Length", "10", "X-A", "b"),
                        new DefaultHttpContent(ascii("01234")), new DefaultLastHttpContent(ascii("56789")))),
                new Case("head then empty last", GET, () -> List.of(head(HttpResponseStatus.OK, "Content-Length", "3"),
                        new DefaultHttpContent(ascii("abc")), LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("chunked parts", GET, () -> List.of(head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"),
                        new DefaultHttpContent(ascii("a")), new DefaultHttpContent(ascii(BIG)),
                        new DefaultHttpContent(Unpooled.EMPTY_BUFFER), LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("chunked, body in last", GET, () -> List.of(head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"),
                        new DefaultLastHttpContent(ascii("tail")))),
                new Case("chunked, large body in last with trailers", GET, () -> List.of(
                        head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked", "Trailer", "X-Sum"),
                        lastWithTrailers(BIG, "X-Sum", "42", "X-Other", "o"))),
                new Case("chunked, trailers only", GET, () -> List.of(head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"),
                        new DefaultHttpContent(ascii("abc")), lastWithTrailers("", "X-Sum", "42"))),
                new Case("chunked full", GET, () -> List.of(full(HttpResponseStatus.OK, "body", "Transfer-Encoding", "chunked"))),
                new Case("unknown status", GET, () -> List.of(full(new HttpResponseStatus(299, "Fine Indeed"), "", "Content-Length", "0"))),
                new Case("known code, other reason", GET, () -> List.of(full(new HttpResponseStatus(200, "Okay"), "ok", "Content-Length", "2"))),
                new Case("HTTP/1.0 response", GET, () -> {
                    DefaultFullHttpResponse r = full(HttpResponseStatus.OK, "x");
                    r.setProtocolVersion(HttpVersion.HTTP_1_0);
                    return List.of(r);
                }),
                new Case("HEAD: no body, length kept", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", () -> List.of(
                        full(HttpResponseStatus.OK, "ignored", "Content-Length", "7"))),
                new Case("HEAD: parts dropped", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", () -> List.of(
                        head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"), new DefaultHttpContent(ascii("abc")),
                        new DefaultLastHttpContent(ascii("def")))),
                new Case("100 then 200", GET, () -> List.of(full(HttpResponseStatus.CONTINUE, ""),
                        full(HttpResponseStatus.OK, "ok", "Content-Length", "2"))),
                new Case("103 with fields then 200", GET, () -> List.of(full(HttpResponseStatus.valueOf(103), "", "Link", "</a.css>; rel=preload",
                        "Content-Length", "5"), full(HttpResponseStatus.OK, "ok", "Content-Length", "2"))),
                new Case("204 strips framing", GET, () -> List.of(full(HttpResponseStatus.NO_CONTENT, "",
                        "Content-Length", "0", "Transfer-Encoding", "chunked", "X-Kept", "1"))),
                new Case("205 has length 0", GET, () -> List.of(full(HttpResponseStatus.RESET_CONTENT, "",
                        "Transfer-Encoding", "chunked"))),
                new Case("304 keeps its length", GET, () -> List.of(head(HttpResponseStatus.NOT_MODIFIED, "Content-Length", "99",
                        "ETag", "\"e\""), LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("101 then nothing", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
                        () -> List.of(head(HttpResponseStatus.SWITCHING_PROTOCOLS, "Upgrade", "websocket", "Connection", "upgrade"),
                                LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("2xx to CONNECT: no transfer-encoding", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
                        () -> List.of(head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"))),
                new Case("pipelined HEAD then GET", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                        () -> List.of(full(HttpResponseStatus.OK, "body", "Content-Length", "4"),
                                full(HttpResponseStatus.OK, "body", "Content-Length", "4"))),
                new Case("latin-1 value", GET, () -> List.of(full(HttpResponseStatus.OK, "", "X-Name", "caf\u00e9",
                        "Content-Length", "0")))
        ).map(Arguments::of);
    }

    /** A body already released is refused as Netty refuses it, never copied by its (freed) address. */
    @Test
    void aReleasedSmallBodyIsRefusedNotCopied() {
        ByteBuf head = Unpooled.directBuffer(64);
        ByteBuf body = ascii("gone");
        body.release();
        try {
            assertThrows(io.netty.util.IllegalReferenceCountException.class, () -> Framing.LENGTH.appendInline(head, body, null));
            assertEquals(0, head.readableBytes());
        } finally {
            head.release();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void writesTheBytesNettyWrites(Case c) {
        String netty = wire(HttpServerCodec::new, c, false);
        assertEquals(netty, wire(() -> new Http1ServerCodec(4096, 8192), c, false), "each write with a promise");
        // no promise to keep (as the front end writes): a head waits for the body's first part to join it
        assertEquals(netty, wire(() -> new Http1ServerCodec(4096, 8192), c, true), "writes without promises");
    }

    static Stream<Arguments> requests() {
        return Stream.<Case>of(
                new Case("GET", "", () -> List.of(request(HttpMethod.GET, "/p?q=1", "Host", "a", "Accept", "*/*"),
                        LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("full POST, small body", "", () -> List.of(fullRequest("/form", "a=1&b=2", "Content-Length", "7"))),
                new Case("full PUT, large body", "", () -> List.of(fullRequest("/up", BIG, "Content-Length", "5000"))),
                new Case("POST in parts", "", () -> List.of(request(HttpMethod.POST, "/x", "Content-Length", "6"),
                        new DefaultHttpContent(ascii("abc")), new DefaultLastHttpContent(ascii("def")))),
                new Case("chunked upload with trailers", "", () -> List.of(
                        request(HttpMethod.POST, "/x", "Transfer-Encoding", "chunked"),
                        new DefaultHttpContent(ascii(BIG)), lastWithTrailers("end", "X-Checksum", "abc"))),
                new Case("empty target", "", () -> List.of(request(HttpMethod.OPTIONS, ""), LastHttpContent.EMPTY_LAST_CONTENT)),
                new Case("absolute form without a path", "", () -> List.of(request(HttpMethod.GET, "http://a.test"),
                        request(HttpMethod.GET, "http://a.test?x=1"), request(HttpMethod.GET, "http://a.test/p?x=/"))),
                new Case("extension method", "", () -> List.of(request(HttpMethod.valueOf("PURGE"), "/cached"),
                        LastHttpContent.EMPTY_LAST_CONTENT))
        ).map(Arguments::of);
    }

    private static DefaultHttpRequest request(HttpMethod method, String uri, String... fields) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < fields.length; i += 2) {
            r.headers().add(fields[i], fields[i + 1]);
        }
        return r;
    }

    private static DefaultFullHttpRequest fullRequest(String uri, String body, String... fields) {
        DefaultFullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri, ascii(body));
        for (int i = 0; i < fields.length; i += 2) {
            r.headers().add(fields[i], fields[i + 1]);
        }
        return r;
    }

    @ParameterizedTest
    @MethodSource("requests")
    void writesTheRequestBytesNettyWrites(Case c) {
        assertEquals(wire(HttpClientCodec::new, c, false), wire(() -> new Http1ClientCodec(4096, 8192), c, false));
    }

    @Test
    void aReceivedTargetGoesOutWithTheBytesItCameWith() {
        EmbeddedChannel server = channel(new Http1ServerCodec(4096, 8192), "");
        server.writeInbound(Unpooled.wrappedBuffer("GET /caf\u00e9?x=\u00ff HTTP/1.1\r\nHost: a\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1)));
        HttpRequest received = server.readInbound();
        EmbeddedChannel client = new EmbeddedChannel(new Http1ClientCodec(4096, 8192));
        client.writeOutbound(received, LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("GET /caf\u00e9?x=\u00ff HTTP/1.1\r\nHost: a\r\n\r\n", drain(client));
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    /** A PROXY protocol header written ahead of the first request is for the encoder below: passed on. */
    @Test
    void whatIsNoHttpMessagePassesThroughBothCodecs() {
        for (ChannelHandler codec : new ChannelHandler[] {new Http1ClientCodec(4096, 8192), new Http1ServerCodec(4096, 8192)}) {
            EmbeddedChannel ch = new EmbeddedChannel(codec);
            Object marker = new Object();
            ch.writeOutbound(marker);
            assertTrue(ch.readOutbound() == marker);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aSmallBodyLeavesInOneBufferWithItsHead() {
        EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET);
        ch.writeOutbound(full(HttpResponseStatus.OK, "hello", "Content-Length", "5"));
        ByteBuf only = ch.readOutbound();
        assertTrue(only.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\nhello"));
        only.release();
        assertNull(ch.readOutbound(), "nothing else was written");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aHeadWrittenWithoutAPromiseTakesASmallBodyIntoItsBufferAndLetsALargeOneFollow() {
        EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET + GET + GET);
        ch.write(head(HttpResponseStatus.OK, "Content-Length", "5"), ch.voidPromise());
        ch.write(new DefaultLastHttpContent(ascii("small")), ch.voidPromise());
        ch.flush();
        ByteBuf joined = ch.readOutbound();
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall", joined.toString(StandardCharsets.ISO_8859_1));
        joined.release();
        assertNull(ch.readOutbound());

        ch.write(head(HttpResponseStatus.OK, "Content-Length", "5000"), ch.voidPromise());
        ch.write(new DefaultLastHttpContent(ascii(BIG)), ch.voidPromise());
        ch.flush();
        ByteBuf head = ch.readOutbound();
        ByteBuf body = ch.readOutbound();
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", head.toString(StandardCharsets.ISO_8859_1));
        assertEquals(5000, body.readableBytes());
        head.release();
        body.release();

        ch.write(head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked"), ch.voidPromise());
        ch.flush();
        ByteBuf flushed = ch.readOutbound();
        assertTrue(flushed.toString(StandardCharsets.ISO_8859_1).endsWith("chunked\r\n\r\n"), "a flush sends it alone");
        flushed.release();
        ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals("0\r\n\r\n", drain(ch));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aHeldHeadIsReleasedWhenTheConnectionClosesUnflushed() {
        EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET);
        ch.write(head(HttpResponseStatus.OK, "Content-Length", "5"), ch.voidPromise());
        ch.close();
        assertFalse(ch.finishAndReleaseAll(), "nothing left behind (the leak detector, on PARANOID, watches the buffer)");
    }

    @Test
    void aListenerOnAnEmptyLastWriteHearsAfterTheBody() {
        EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET);
        ch.write(head(HttpResponseStatus.OK, "Content-Length", "3"));
        ch.write(new DefaultHttpContent(ascii("abc")));
        ChannelFuture done = ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertTrue(done.isSuccess(), "the empty last write completes its promise");
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", drain(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void contentBeforeAHeadIsRefusedAndReleased() {
        EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET);
        ByteBuf body = ascii("stray");
        assertThrows(IllegalStateException.class, () -> ch.writeOutbound(new DefaultHttpContent(body)));
        assertEquals(0, body.refCnt());
        ch.finishAndReleaseAll();
    }

    @Test
    void aFileRegionGoesOutAsItIsOrAsAChunk(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "file body");
        for (boolean chunked : new boolean[] {false, true}) {
            EmbeddedChannel ch = channel(new Http1ServerCodec(4096, 8192), GET);
            ch.write(chunked ? head(HttpResponseStatus.OK, "Transfer-Encoding", "chunked")
                    : head(HttpResponseStatus.OK, "Content-Length", "9"));
            RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
            ch.write(new DefaultFileRegion(raf.getChannel(), 0, 9));
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            String wire = drain(ch);
            raf.close();
            assertEquals(chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nfile body\r\n0\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nfile body", wire);
            ch.finishAndReleaseAll();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static EmbeddedChannel channel(ChannelHandler codec, String request) {
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        if (!request.isEmpty()) {
            ch.writeInbound(ascii(request));
        }
        Object in;
        while ((in = ch.readInbound()) != null) {
            ReferenceCountUtil.release(in);
        }
        return ch;
    }

    private static String wire(Supplier<ChannelHandler> codec, Case c, boolean voidPromises) {
        EmbeddedChannel ch = channel(codec.get(), c.request());
        for (Object o : c.writes().get()) {
            if (voidPromises) {
                ch.write(o, ch.voidPromise());
            } else {
                ch.write(o);
            }
        }
        ch.flush();
        String out = drain(ch);
        ch.finishAndReleaseAll();
        return out;
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                sb.append(b.toString(StandardCharsets.ISO_8859_1));
            } else if (o instanceof FileRegion region) {
                List<byte[]> parts = new ArrayList<>();
                try (var bytes = new java.io.ByteArrayOutputStream()) {
                    WritableByteChannel sink = Channels.newChannel(bytes);
                    while (region.transferred() < region.count()) {
                        region.transferTo(sink, region.transferred());
                    }
                    parts.add(bytes.toByteArray());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                sb.append(new String(parts.get(0), StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(o);
        }
        return sb.toString();
    }
}
