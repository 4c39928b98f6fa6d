package io.ferry.esi;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the ESI 1.0 subset Varnish implements out of a body: {@code <esi:include src=… [alt=…]
 * [onerror="continue"]/>}, {@code <esi:remove>…</esi:remove>}, {@code <esi:comment …/>} and the {@code
 * <!--esi … -->} wrapper (its markers dropped, what it wraps processed). Other {@code esi:} elements are
 * dropped, their content kept, as Varnish does. Markup that is not closed stays as it is, bytes and all.
 * Pure: no I/O, no policy; the caller decides when a body is a template.
 */
public final class EsiParser {
    private static final byte[] COMMENT_OPEN = ascii("<!--esi");
    private static final byte[] COMMENT_CLOSE = ascii("-->");
    private static final byte[] ESI_OPEN = ascii("<esi:");
    private static final byte[] ESI_CLOSE = ascii("</esi:");
    private static final byte[] REMOVE_CLOSE = ascii("</esi:remove>");

    private EsiParser() {
    }

    /** Whether a Surrogate-Control field value asks for ESI processing ({@code content="ESI/1.0"}). */
    public static boolean announcesEsi(String surrogateControl) {
        return surrogateControl != null && surrogateControl.toUpperCase(Locale.ROOT).contains("ESI/1.0");
    }

    /** The template of {@code body}'s readable bytes (not consumed); offsets are relative to its reader index. */
    public static EsiTemplate parse(ByteBuf body) {
        Builder b = new Builder(body);
        b.parse(body.readerIndex(), body.writerIndex());
        b.flushLiteral();
        return new EsiTemplate(List.copyOf(b.out), b.includes);
    }

    private static final class Builder {
        private final ByteBuf buf;
        private final int base;
        private final List<EsiTemplate.Segment> out = new ArrayList<>();
        private int literalFrom = -1;
        private int literalTo;
        private int includes;

        Builder(ByteBuf buf) {
            this.buf = buf;
            this.base = buf.readerIndex();
        }

        /** Bytes [from, to) go out as they are (joined with the literal before when adjacent). */
        private void literal(int from, int to) {
            if (from >= to) {
                return;
            }
            if (literalFrom >= 0 && literalTo == from) {
                literalTo = to;
                return;
            }
            flushLiteral();
            literalFrom = from;
            literalTo = to;
        }

        void flushLiteral() {
            if (literalFrom >= 0) {
                out.add(new EsiTemplate.Literal(literalFrom - base, literalTo - literalFrom));
                literalFrom = -1;
            }
        }

        void parse(int from, int to) {
            int i = from;
            int plain = from;
            while (i < to) {
                int lt = buf.indexOf(i, to, (byte) '<');
                if (lt < 0) {
                    break;
                }
                int next;
                if (startsWith(lt, to, COMMENT_OPEN)) {
                    int close = find(lt + COMMENT_OPEN.length, to, COMMENT_CLOSE);
                    if (close < 0) {
                        break; // unclosed: the rest stays as it is
                    }
                    literal(plain, lt);
                    parse(lt + COMMENT_OPEN.length, close);
                    next = close + COMMENT_CLOSE.length;
                } else if (startsWith(lt, to, ESI_OPEN)) {
                    next = element(plain, lt, to);
                    if (next < 0) {
                        break;
                    }
                } else if (startsWith(lt, to, ESI_CLOSE)) {
                    int gt = buf.indexOf(lt, to, (byte) '>');
                    if (gt < 0) {
                        break;
                    }
                    literal(plain, lt); // a closing tag of an element kept for its content: dropped
                    next = gt + 1;
                } else {
                    i = lt + 1;
                    continue;
                }
                plain = next;
                i = next;
            }
            literal(plain, to);
        }

        /** An {@code <esi:…>} element at {@code lt}: returns where parsing goes on, or -1 if it is not closed. */
        private int element(int plain, int lt, int to) {
            int nameFrom = lt + ESI_OPEN.length;
            int nameTo = nameFrom;
            while (nameTo < to && isNameChar(buf.getByte(nameTo))) {
                nameTo++;
            }
            String name = buf.toString(nameFrom, nameTo - nameFrom, StandardCharsets.US_ASCII);
            int gt = tagEnd(nameTo, to);
            if (gt < 0) {
                return -1;
            }
            boolean selfClosing = buf.getByte(gt - 1) == '/';
            switch (name) {
                case "remove" -> {
                    if (selfClosing) {
                        literal(plain, lt);
                        return gt + 1;
                    }
                    int close = find(gt + 1, to, REMOVE_CLOSE);
                    if (close < 0) {
                        return -1;
                    }
                    literal(plain, lt);
                    return close + REMOVE_CLOSE.length;
                }
                case "include" -> {
                    literal(plain, lt);
                    String attrs = buf.toString(nameTo, gt - nameTo - (selfClosing ? 1 : 0), StandardCharsets.UTF_8);
                    String src = attribute(attrs, "src");
                    if (src != null && !src.isEmpty()) {
                        flushLiteral();
                        out.add(new EsiTemplate.Include(src, attribute(attrs, "alt"),
                                "continue".equalsIgnoreCase(attribute(attrs, "onerror"))));
                        includes++;
                    }
                    return gt + 1; // a separate </esi:include> is dropped as any closing esi tag
                }
                default -> { // esi:comment and the elements Ferry does not implement: the tag goes
                    literal(plain, lt);
                    return gt + 1;
                }
            }
        }

        /** The '>' ending a tag whose attributes start at {@code from}, skipping quoted values; -1 if none. */
        private int tagEnd(int from, int to) {
            byte quote = 0;
            for (int i = from; i < to; i++) {
                byte c = buf.getByte(i);
                if (quote != 0) {
                    if (c == quote) {
                        quote = 0;
                    }
                } else if (c == '"' || c == '\'') {
                    quote = c;
                } else if (c == '>') {
                    return i;
                }
            }
            return -1;
        }

        private boolean startsWith(int at, int to, byte[] prefix) {
            if (to - at < prefix.length) {
                return false;
            }
            for (int k = 0; k < prefix.length; k++) {
                if (buf.getByte(at + k) != prefix[k]) {
                    return false;
                }
            }
            return true;
        }

        private int find(int from, int to, byte[] needle) {
            for (int i = from; i <= to - needle.length; i++) {
                i = buf.indexOf(i, to, needle[0]);
                if (i < 0 || i > to - needle.length) {
                    return -1;
                }
                if (startsWith(i, to, needle)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static boolean isNameChar(byte c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c >= '0' && c <= '9';
    }

    /** The value of {@code name="…"} (or single-quoted) in a tag's attribute text, entities decoded; null if absent. */
    static String attribute(String attrs, String name) {
        int i = 0;
        int n = attrs.length();
        while (i < n) {
            while (i < n && !Character.isLetter(attrs.charAt(i))) {
                i++;
            }
            int nameFrom = i;
            while (i < n && (Character.isLetterOrDigit(attrs.charAt(i)) || attrs.charAt(i) == '-' || attrs.charAt(i) == '_')) {
                i++;
            }
            String key = attrs.substring(nameFrom, i);
            while (i < n && Character.isWhitespace(attrs.charAt(i))) {
                i++;
            }
            if (i >= n || attrs.charAt(i) != '=') {
                continue;
            }
            i++;
            while (i < n && Character.isWhitespace(attrs.charAt(i))) {
                i++;
            }
            String value;
            if (i < n && (attrs.charAt(i) == '"' || attrs.charAt(i) == '\'')) {
                char q = attrs.charAt(i);
                int end = attrs.indexOf(q, i + 1);
                if (end < 0) {
                    return null;
                }
                value = attrs.substring(i + 1, end);
                i = end + 1;
            } else {
                int from = i;
                while (i < n && !Character.isWhitespace(attrs.charAt(i))) {
                    i++;
                }
                value = attrs.substring(from, i);
            }
            if (key.equalsIgnoreCase(name)) {
                return decodeEntities(value);
            }
        }
        return null;
    }

    private static String decodeEntities(String v) {
        if (v.indexOf('&') < 0) {
            return v;
        }
        return v.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
                .replace("&amp;", "&");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
