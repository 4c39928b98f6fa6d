package io.ferry.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferry.http1.Http1ClientCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A proxied response head as HTTP/2 fields: names lower-cased (from a per-thread cache indexed by the
 * name's hash, so names that share a slot must never be mixed up), values byte for byte as received
 * (obs-text too), fields removed by the exchange left out, its additions in, connection-specific fields
 * dropped.
 */
class Http2ResponseHeadersTest {

    @Test
    void namesAreLowerCasedValuesKeptRemovalsAndAdditionsFollowed() {
        HttpResponse res = backendResponse("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Drop: 1\r\n"
                + "X-Latin: caf\u00e9 \u00ff\r\nSet-Cookie: a=1\r\nSET-COOKIE: b=2\r\nKeep-Alive: timeout=5\r\n"
                + "Content-Length: 0\r\n\r\n");
        res.headers().remove("x-drop");
        res.headers().add("X-Added-By-Rule", "yes");
        res.headers().add(io.netty.handler.codec.http.HttpHeaderNames.VIA, "1.1 ferry");
        assertEquals(List.of(":status=200", "content-type=text/html", "x-latin=caf\u00e9 \u00ff", "set-cookie=a=1",
                "set-cookie=b=2", "content-length=0", "x-added-by-rule=yes", "via=1.1 ferry"),
                fields(Http2ResponseHeaders.head(res)));
    }

    /** 600 names through a cache of 256 slots: every slot is shared, and each name still comes out as sent. */
    @Test
    void namesSharingACacheSlotAreNeverMixedUp() {
        for (int round = 0; round < 2; round++) { // the second round meets the cache the first one filled
            StringBuilder head = new StringBuilder("HTTP/1.1 204 No Content\r\n");
            List<String> expected = new ArrayList<>(List.of(":status=204"));
            for (int i = 0; i < 600; i++) {
                String name = (i % 2 == 0 ? "X-Field-" : "x-FIELD-") + i;
                head.append(name).append(": v").append(i).append("\r\n");
                expected.add("x-field-" + i + "=v" + i);
            }
            assertEquals(expected, fields(Http2ResponseHeaders.head(backendResponse(head + "\r\n"))));
        }
    }

    /**
     * A value equal to the one the thread saw last for that name is handed on again (no new view); one of the
     * same length but other bytes never is.
     */
    @Test
    void aRepeatedValueIsReusedAndADifferentOneOfTheSameLengthIsNot() {
        List<CharSequence> lengths = new ArrayList<>();
        for (String length : List.of("1024", "1024", "2048", "1024")) {
            Http2Headers h2 = Http2ResponseHeaders.head(backendResponse("HTTP/1.1 200 OK\r\nServer: nginx\r\n"
                    + "Content-Length: " + length + "\r\n\r\n"));
            assertEquals(length, h2.get("content-length").toString());
            assertEquals("nginx", h2.get("server").toString());
            lengths.add(h2.get("content-length"));
        }
        org.junit.jupiter.api.Assertions.assertSame(lengths.get(0), lengths.get(1), "equal: the same view");
        org.junit.jupiter.api.Assertions.assertNotSame(lengths.get(1), lengths.get(3), "2048 came between");
        assertEquals(4, ((io.netty.util.AsciiString) lengths.get(0)).array().length, "kept as a copy, not a whole head");
    }

    /** Names and values past the caches' 64 bytes are not kept, and come out whole all the same. */
    @Test
    void longNamesAndValuesComeOutWholeAndAreNotKept() {
        String longName = "X-" + "n".repeat(70);
        String longValue = "v".repeat(100);
        List<CharSequence> values = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            Http2Headers h2 = Http2ResponseHeaders.head(backendResponse("HTTP/1.1 200 OK\r\n" + longName + ": short\r\n"
                    + "X-Long: " + longValue + "\r\nContent-Length: 0\r\n\r\n"));
            assertEquals("short", h2.get(longName.toLowerCase()).toString());
            assertEquals(longValue, h2.get("x-long").toString());
            values.add(h2.get("x-long"));
        }
        org.junit.jupiter.api.Assertions.assertNotSame(values.get(0), values.get(1), "a view of each head");
    }

    /** ETag and Via share their low hash bits: both names stay cached, not made again for every response. */
    @Test
    void twoNamesOfOneCacheEntryBothStayCached() {
        List<CharSequence> names = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Http2Headers h2 = Http2ResponseHeaders.head(backendResponse("HTTP/1.1 200 OK\r\nETag: \"x\"\r\n"
                    + "Via: 1.1 app\r\nContent-Length: 0\r\n\r\n"));
            for (Map.Entry<CharSequence, CharSequence> e : h2) {
                names.add(e.getKey());
            }
        }
        assertEquals(List.of(":status", "etag", "via", "content-length"), names.subList(0, 4).stream().map(CharSequence::toString).toList());
        for (int k = 4; k < names.size(); k++) {
            org.junit.jupiter.api.Assertions.assertSame(names.get(k % 4), names.get(k), "round " + k / 4 + ": " + names.get(k));
        }
    }

    /** What HPACK makes of the fields is what the client reads back: Netty's own encoder and decoder. */
    @Test
    void theFieldsGoThroughHpackWholeAndInOrder() throws Exception {
        HttpResponse res = backendResponse("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n");
        Http2Headers head = Http2ResponseHeaders.head(res);
        assertEquals("404", String.valueOf(head.status()));
        assertEquals("text/plain", String.valueOf(head.get("content-type")));
        assertEquals(List.of("a=1", "b=2"), head.getAll("set-cookie").stream().map(String::valueOf).toList());
        assertEquals(5, head.size());
        var encoder = new io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder();
        var decoder = new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(true);
        for (int stream = 1; stream <= 3; stream += 2) { // the second block leans on the dynamic table the first filled
            io.netty.buffer.ByteBuf block = Unpooled.buffer();
            try {
                encoder.encodeHeaders(stream, head, block);
                assertEquals(fields(head), fields(decoder.decodeHeaders(stream, block)));
            } finally {
                block.release();
            }
        }
        assertEquals(List.of("x-grpc=0"), fields(Http2ResponseHeaders.trailers(
                new io.netty.handler.codec.http.DefaultHttpHeaders().add("X-Grpc", "0"))));
    }

    private static List<String> fields(Http2Headers h2) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<CharSequence, CharSequence> f : h2) {
            out.add(f.getKey() + "=" + f.getValue());
        }
        return out;
    }

    private static HttpResponse backendResponse(String head) {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1ClientCodec(8192, 65536));
        try {
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            Object sent;
            while ((sent = ch.readOutbound()) != null) {
                ReferenceCountUtil.release(sent);
            }
            ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
            HttpResponse res = ch.readInbound();
            Object rest;
            while ((rest = ch.readInbound()) != null) {
                ReferenceCountUtil.release(rest);
            }
            return res;
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
