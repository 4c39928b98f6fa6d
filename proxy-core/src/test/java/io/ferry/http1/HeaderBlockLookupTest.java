package io.ferry.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Field lookups pass most fields on a hash of the name computed as the bytes arrive; the hash must be the
 * one Netty's name constants carry, in any case, or a lookup would miss a field that is there.
 */
class HeaderBlockLookupTest {

    /** Every name Netty defines, each sent in a random mix of case, found by its constant and by a String. */
    @Test
    void everyFieldIsFoundByConstantOrStringInAnyCase() throws Exception {
        List<AsciiString> names = new ArrayList<>();
        for (Field f : HttpHeaderNames.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == AsciiString.class) {
                names.add((AsciiString) f.get(null));
            }
        }
        names.remove(HttpHeaderNames.TRANSFER_ENCODING); // framing: its own test below (with a length it is refused)
        names.add(AsciiString.of("x-custom_name.1~!"));
        SplittableRandom random = new SplittableRandom(3);
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\n");
        List<String> sent = new ArrayList<>();
        for (AsciiString name : names) {
            StringBuilder mixed = new StringBuilder();
            for (char c : name.toString().toCharArray()) {
                mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
            }
            sent.add(mixed.toString());
            head.append(mixed).append(": ").append(value(name)).append("\r\n");
        }
        HttpHeaders headers = parse(head.append("\r\n").toString());
        for (int i = 0; i < names.size(); i++) {
            AsciiString name = names.get(i);
            assertEquals(value(name), headers.get(name), "by constant: " + sent.get(i));
            assertEquals(value(name), headers.get(name.toString().toUpperCase()), "by String: " + sent.get(i));
        }
        assertNull(headers.get("x-not-sent"));
    }

    /**
     * The decoder tells the parser how many field lines a head has, and the block keeps exactly that room for
     * their offsets; told fewer, it grows rather than lose one, and edits never need that room.
     */
    @Test
    void fieldsBeyondTheAnnouncedCountAndEditsAreAllKept() {
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 40; i++) {
            head.append("X-F").append(i).append(": v").append(i).append("\r\n");
        }
        HeadParser parser = new HeadParser(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1), 3, 0);
        parser.readFields(false);
        HeaderBlock fields = parser.fields;
        for (int i = 0; i < 20; i++) {
            fields.add("X-Added" + i, "a" + i);
        }
        fields.remove("X-F7");
        assertEquals(59, fields.size());
        for (int i = 0; i < 40; i++) {
            assertEquals(i == 7 ? null : "v" + i, fields.get("x-f" + i));
        }
        assertEquals("a19", fields.get("X-ADDED19"));
        io.netty.buffer.ByteBuf out = Unpooled.buffer();
        fields.writeTo(out);
        String written = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        assertTrue(written.startsWith("X-F0: v0\r\nX-F1: v1\r\n") && written.endsWith("X-Added19: a19\r\n"), written);
        assertFalse(written.contains("X-F7:"));
    }

    private static String value(AsciiString name) {
        return name.contentEquals(HttpHeaderNames.CONTENT_LENGTH) ? "0" : "v-" + name;
    }

    @Test
    void transferEncodingIsFoundInAnyCase() {
        HttpHeaders headers = parse("POST / HTTP/1.1\r\nHost: a\r\ntRANSFER-encoding: chunked\r\n\r\n0\r\n\r\n");
        assertEquals("chunked", headers.get(HttpHeaderNames.TRANSFER_ENCODING));
    }

    @Test
    void addedAndRemovedFieldsAreFoundOrNotLikeReceivedOnes() {
        HttpHeaders headers = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
        headers.remove("CONNECTION");
        assertFalse(headers.contains(HttpHeaderNames.CONNECTION));
        headers.add("X-Added", "1");
        headers.add(AsciiString.of("x-added"), "2");
        assertEquals(List.of("1", "2"), headers.getAll(AsciiString.of("X-ADDED")));
        headers.set(HttpHeaderNames.HOST, "b");
        assertEquals(List.of("b"), headers.getAll("host"));
        assertTrue(headers.contains("Host", "B", true));
    }

    /**
     * Connection tokens are looked up in the received bytes themselves (every keep-alive check does it): trimmed
     * of OWS, any case, a token and not a part of one, also on a second line and after the value was read.
     */
    @Test
    void listTokensAreFoundInReceivedBytesAsInReadValues() {
        HttpHeaders headers = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: \tX-Trace ,  Keep-Alive\t\r\n"
                + "Connection: upgrade-ish,,close\r\n\r\n");
        for (int pass = 0; pass < 2; pass++) { // in place, then after getAll has made the values Strings
            assertTrue(headers.containsValue(HttpHeaderNames.CONNECTION, "keep-alive", true), "pass " + pass);
            assertTrue(headers.containsValue(HttpHeaderNames.CONNECTION, "x-trace", true), "pass " + pass);
            assertTrue(headers.containsValue(HttpHeaderNames.CONNECTION, "close", false), "pass " + pass);
            assertFalse(headers.containsValue(HttpHeaderNames.CONNECTION, "keep-alive", false), "pass " + pass);
            assertFalse(headers.containsValue(HttpHeaderNames.CONNECTION, "upgrade", true), "pass " + pass);
            assertFalse(headers.containsValue(HttpHeaderNames.CONNECTION, "alive", true), "pass " + pass);
            assertFalse(headers.containsValue(HttpHeaderNames.HOST, "b", true), "pass " + pass);
            assertEquals(List.of("\tX-Trace ,  Keep-Alive".trim(), "upgrade-ish,,close"), headers.getAll("connection"));
        }
        assertEquals(List.of("a"), headers.getAll(HttpHeaderNames.HOST));
        assertEquals(List.of(), headers.getAll("x-absent"));
    }

    private static HttpHeaders parse(String head) {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1ServerCodec(8192, 65536));
        ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        HttpRequest req = ch.readInbound();
        Object rest;
        while ((rest = ch.readInbound()) != null) {
            ReferenceCountUtil.release(rest);
        }
        ch.finishAndReleaseAll();
        return req.headers();
    }
}
