package io.ferry.esi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The parser on its own: what a template becomes, written back with each include as [src|alt|continue]. */
class EsiParserTest {
    private static String render(String page) {
        ByteBuf buf = Unpooled.copiedBuffer("xx" + page, StandardCharsets.UTF_8);
        buf.skipBytes(2); // offsets are relative to the reader index
        try {
            EsiTemplate t = EsiParser.parse(buf);
            StringBuilder sb = new StringBuilder();
            for (EsiTemplate.Segment s : t.segments()) {
                if (s instanceof EsiTemplate.Literal l) {
                    sb.append(buf.toString(buf.readerIndex() + l.offset(), l.length(), StandardCharsets.UTF_8));
                } else {
                    EsiTemplate.Include i = (EsiTemplate.Include) s;
                    sb.append('[').append(i.src()).append('|').append(i.alt()).append('|').append(i.continueOnError()).append(']');
                }
            }
            return sb.toString();
        } finally {
            buf.release();
        }
    }

    @Test
    void includesAreFoundWithTheirAttributes() {
        assertEquals("a[/f|null|false]b", render("a<esi:include src=\"/f\"/>b"));
        assertEquals("a[/f?x=1&y=2|/g|true]b",
                render("a<esi:include src='/f?x=1&amp;y=2' alt=\"/g\" onerror=\"continue\" />b"));
        assertEquals("[/f|null|false]", render("<esi:include src=\"/f\"></esi:include>"));
        assertEquals("[/a|null|false][/b|null|false]", render("<esi:include src=\"/a\"/><esi:include src=\"/b\"/>"));
        assertEquals("x>y", render("x<esi:include src=\"\"/>>y"), "no src: the tag goes, nothing is included");
        assertEquals("[/q>r|null|false]", render("<esi:include src=\"/q>r\"/>"), "a > inside quotes");
    }

    @Test
    void removeCommentAndTheEsiCommentWrapper() {
        assertEquals("ab", render("a<esi:remove><a href=\"/f\">link</a></esi:remove>b"));
        assertEquals("ab", render("a<esi:comment text=\"hidden\"/>b"));
        assertEquals("a  <p>[/f|null|false]</p>  b", render("a <!--esi <p><esi:include src=\"/f\"/></p> --> b"),
                "the wrapper's markers go, everything between them stays");
        assertEquals("a<!-- plain --> b", render("a<!-- plain --> b"), "an ordinary comment stays");
        assertEquals("ainner b", render("a<esi:try>inner</esi:try> b"), "unimplemented elements go, content stays");
    }

    @Test
    void unclosedMarkupStaysAsItIs() {
        assertEquals("a<esi:remove>never closed", render("a<esi:remove>never closed"));
        assertEquals("a<!--esi never closed", render("a<!--esi never closed"));
        assertEquals("a<esi:include src=\"/f\"", render("a<esi:include src=\"/f\""));
        assertEquals("plain < text <b>bold</b>", render("plain < text <b>bold</b>"));
        assertEquals("", render(""));
    }

    @Test
    void countsIncludesAndReadsSurrogateControl() {
        ByteBuf b = Unpooled.copiedBuffer("<esi:include src=\"/a\"/> and <esi:include src=\"/b\"/>", StandardCharsets.UTF_8);
        try {
            assertEquals(2, EsiParser.parse(b).includes());
        } finally {
            b.release();
        }
        assertTrue(EsiParser.announcesEsi("content=\"ESI/1.0\""));
        assertTrue(EsiParser.announcesEsi("max-age=60, content=\"ESI/1.0 ESI-INLINE/1.0\""));
        assertFalse(EsiParser.announcesEsi("max-age=60"));
        assertFalse(EsiParser.announcesEsi(null));
    }
}
