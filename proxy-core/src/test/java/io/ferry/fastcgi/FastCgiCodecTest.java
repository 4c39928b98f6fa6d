package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Byte-level checks of the FastCGI records and the CGI response head (the wire tests run against php-fpm). */
class FastCgiCodecTest {

    @Test
    void paramsUseOneAndFourByteLengthsAndEndWithAnEmptyRecord() {
        String longValue = "v".repeat(200);
        ByteBuf out = FcgiEncoding.params(ByteBufAllocator.DEFAULT, 1, List.of(Map.entry("A", "b"), Map.entry("LONG", longValue)));
        try {
            assertEquals(FcgiRecord.VERSION_1, out.getUnsignedByte(0));
            assertEquals(FcgiRecord.PARAMS, out.getUnsignedByte(1));
            int contentLength = out.getUnsignedShort(4);
            int padding = out.getUnsignedByte(6);
            assertEquals(0, (contentLength + padding) % 8, "padded to 8 bytes");
            assertEquals(1 + 1 + 1 + 1 + 1 + 4 + 4 + 200, contentLength);
            assertEquals(1, out.getUnsignedByte(8), "name length of A in one byte");
            assertEquals(0x80000000 | 200, out.getInt(8 + 4 + 1), "a 200-byte value length in four bytes");
            int end = 8 + contentLength + padding;
            assertEquals(FcgiRecord.PARAMS, out.getUnsignedByte(end + 1));
            assertEquals(0, out.getUnsignedShort(end + 4), "empty PARAMS ends the stream");
            assertEquals(end + 8, out.readableBytes());
        } finally {
            out.release();
        }
    }

    @Test
    void decoderWaitsForWholeRecordsAndDropsPadding() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf record = Unpooled.buffer();
        FcgiEncoding.writeHeader(record, FcgiRecord.STDOUT, 1, 5, 3);
        record.writeBytes("hello".getBytes(StandardCharsets.US_ASCII)).writeZero(3);
        ch.writeInbound(record.readRetainedSlice(6));
        assertNull(ch.readInbound(), "half a header is not a record");
        ch.writeInbound(record.readRetainedSlice(record.readableBytes()));
        record.release();
        FcgiRecord r = ch.readInbound();
        assertEquals(FcgiRecord.STDOUT, r.type());
        assertEquals("hello", r.content().toString(StandardCharsets.US_ASCII));
        r.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void cgiHeadParsesStatusLocationAndRepeatedHeaders() {
        HttpResponse r = CgiResponseHead.parse(Unpooled.copiedBuffer(
                "Status: 404 Gone Fishing\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/html\r\n\r\n",
                StandardCharsets.ISO_8859_1));
        assertEquals(404, r.status().code());
        assertEquals("Gone Fishing", r.status().reasonPhrase());
        assertEquals(List.of("a=1", "b=2"), r.headers().getAll("Set-Cookie"));
        HttpResponse redirect = CgiResponseHead.parse(Unpooled.copiedBuffer("Location: /x\n\n", StandardCharsets.ISO_8859_1));
        assertEquals(302, redirect.status().code());
        assertThrows(IllegalArgumentException.class,
                () -> CgiResponseHead.parse(Unpooled.copiedBuffer("no colon here\n\n", StandardCharsets.ISO_8859_1)));
        ByteBuf partial = Unpooled.copiedBuffer("Content-Type: text/plain\r\n", StandardCharsets.ISO_8859_1);
        assertEquals(-1, CgiResponseHead.endOfHeaders(partial));
        ByteBuf lf = Unpooled.copiedBuffer("A: b\n\nbody", StandardCharsets.ISO_8859_1);
        assertEquals(6, CgiResponseHead.endOfHeaders(lf));
    }

    @Test
    void pathDecodingRejectsMalformedInput() {
        assertEquals("/a b/ü", FastCgiSite.decode("/a%20b/%C3%BC"));
        assertNull(FastCgiSite.decode("/bad%zz"));
        assertNull(FastCgiSite.decode("/cut%4"));
        assertNull(FastCgiSite.decode("/invalid%C3%28utf8"));
    }
}
