package io.ferry.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Fields the proxy adds are written as ISO-8859-1, as received fields are. A character past Latin-1 (a rule's
 * value typed in the config, say) becomes '?': written as its low byte, U+010D would have been a CR on the
 * wire, a second header line that the CR/LF check on the value never saw.
 */
class HeaderBlockWritingTest {

    private static String written(HeaderBlock block) {
        ByteBuf out = Unpooled.buffer();
        try {
            block.writeTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void addedLatin1TextIsWrittenByteForByte() {
        HeaderBlock block = new HeaderBlock();
        block.add("X-Note", "caf\u00e9 ok");
        assertEquals("X-Note: caf\u00e9 ok\r\n", written(block));
    }

    @Test
    void aCharacterPastLatin1CannotBecomeALineBreak() {
        HeaderBlock block = new HeaderBlock();
        block.add("X-Note", "a\u010dSet-Cookie: x=1\u010a");
        assertEquals("X-Note: a?Set-Cookie: x=1?\r\n", written(block));
    }
}
