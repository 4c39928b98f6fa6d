package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;
import io.netty.util.internal.PlatformDependent;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;

/**
 * A message's header fields as received: offsets into the bytes of its head, read only where the policy
 * asks, with the proxy's edits recorded beside them (a removed field is marked, an added one appended).
 * Forwarding writes the received lines back as they came and splices the edits in, so a field nobody
 * looked at is never turned into a String (HAProxy's way). The order of fields is kept.
 *
 * <p>Field names compare without case (RFC 9110 §5.1); values are ISO-8859-1 text, so obs-text bytes
 * survive a round trip. Validation is the parser's job ({@link HeadParser}); values added by the
 * proxy are checked here against CR, LF and NUL (response splitting).
 */
public final class HeaderBlock extends HttpHeaders {
    private static final byte RECEIVED = 0;
    private static final byte ADDED = 1;
    private static final byte REMOVED = 2;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final int[] NO_OFFSETS = {};
    /**
     * Room for the fields a proxy adds to a head it forwards (X-Forwarded-*, Via, a request ID, a few
     * rules): the field arrays are sized once instead of doubled on the first edit.
     */
    public static final int EDIT_ROOM = 6;

    /** The head's bytes; received fields point into it. */
    private final byte[] raw;
    /**
     * Per received field: name start, name end, value start, value end. Sized to the fields the head
     * has (received fields come first, so an added one never needs a slot here); empty without a head.
     */
    private int[] offsets;
    /**
     * Per field: its name's case-insensitive hash, the one {@link AsciiString#hashCode} caches in the
     * proxy's name constants, so a lookup passes most fields on one int compare.
     */
    private int[] hashes;
    private byte[] kind;
    /**
     * Per field, its name at {@code 2i} and its value at {@code 2i + 1} as objects (one array, not two):
     * set for added fields, filled lazily for received ones.
     */
    private CharSequence[] text;
    private int count;
    private int live;

    /** An empty block, for headers Ferry builds itself. */
    public HeaderBlock() {
        this(null, 0, 8);
    }

    /** An empty block with room for {@code capacity} fields before it grows. */
    public HeaderBlock(int capacity) {
        this(null, 0, capacity);
    }

    /** A block over a head of {@code received} field lines, with room for {@code capacity} fields in all. */
    HeaderBlock(byte[] raw, int received, int capacity) {
        this.raw = raw;
        int n = Math.max(4, Math.max(received, capacity));
        offsets = raw == null ? NO_OFFSETS : new int[received * 4];
        hashes = new int[n];
        kind = new byte[n];
        text = new CharSequence[n * 2];
    }

    /** Records a received field; the parser has validated it. */
    void addReceived(int nameStart, int nameEnd, int valueStart, int valueEnd) {
        int i = grow();
        if (i * 4 == offsets.length) { // more lines than announced: not from the decoder, which counts them
            offsets = Arrays.copyOf(offsets, Math.max(16, offsets.length * 2));
        }
        offsets[i * 4] = nameStart;
        offsets[i * 4 + 1] = nameEnd;
        offsets[i * 4 + 2] = valueStart;
        offsets[i * 4 + 3] = valueEnd;
        hashes[i] = PlatformDependent.hashCodeAscii(raw, nameStart, nameEnd - nameStart);
        kind[i] = RECEIVED;
        count++;
        live++;
    }

    private int grow() {
        if (count == kind.length) {
            int n = kind.length * 2;
            hashes = Arrays.copyOf(hashes, n);
            kind = Arrays.copyOf(kind, n);
            text = Arrays.copyOf(text, n * 2);
        }
        return count;
    }

    // ---------------------------------------------------------------- the proxy's way in

    /** Writes every field as {@code name: value CRLF}: received lines as they came, edits spliced in. */
    public void writeTo(ByteBuf out) {
        for (int i = 0; i < count; i++) {
            if (kind[i] == RECEIVED) {
                int start = offsets[i * 4];
                out.writeBytes(raw, start, offsets[i * 4 + 3] - start).writeBytes(CRLF);
            } else if (kind[i] == ADDED) {
                writeText(out, text[2 * i]);
                out.writeByte(':').writeByte(' ');
                writeText(out, text[2 * i + 1]);
                out.writeBytes(CRLF);
            }
        }
    }

    private static void writeText(ByteBuf out, CharSequence s) {
        if (s instanceof AsciiString a) {
            out.writeBytes(a.array(), a.arrayOffset(), a.length());
        } else {
            out.writeCharSequence(s, CharsetUtil.ISO_8859_1); // as received; one bounds check, not one a byte
        }
    }

    /** Whether field {@code i} has this name (no case). */
    private boolean nameIs(int i, CharSequence name) {
        if (kind[i] == RECEIVED) {
            int start = offsets[i * 4];
            return offsets[i * 4 + 1] - start == name.length() && rawEquals(start, name, true);
        }
        if (kind[i] != ADDED) {
            return false;
        }
        CharSequence added = text[2 * i];
        return added == name || added.length() == name.length() && AsciiString.contentEqualsIgnoreCase(added, name);
    }

    /** {@code b} as an unsigned byte, ASCII upper case lowered. */
    static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b & 0xFF;
    }

    /** The hash a field of this name has (names are tokens: ASCII, so the two ways agree). */
    static int nameHash(CharSequence name) {
        return AsciiString.hashCode(name);
    }

    private int find(CharSequence name, int from) {
        int h = nameHash(name);
        for (int i = from; i < count; i++) {
            if (hashes[i] == h && kind[i] != REMOVED && nameIs(i, name)) {
                return i;
            }
        }
        return -1;
    }

    private CharSequence nameAt(int i) {
        CharSequence n = text[2 * i];
        if (n == null) {
            int start = offsets[i * 4];
            n = text[2 * i] = new String(raw, start, offsets[i * 4 + 1] - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        return n;
    }

    private CharSequence valueAt(int i) {
        CharSequence v = text[2 * i + 1];
        if (v == null) {
            int start = offsets[i * 4 + 2];
            v = text[2 * i + 1] = new String(raw, start, offsets[i * 4 + 3] - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        return v;
    }

    /** Receives a block's live fields, in order, with lower-cased names. */
    @FunctionalInterface
    public interface LowerCaseFieldSink<T> {
        void field(T target, AsciiString name, CharSequence value);
    }

    /**
     * Hands every live field to {@code sink} the way HTTP/2 spells fields (RFC 9113 §8.2.1): names lower-cased,
     * from the thread's {@link LowerCaseFieldCache} so the usual names cost no allocation (a name Ferry added as
     * a constant is lower case already); a received value as the equal one the thread handed on last for that
     * name, or else as an {@link AsciiString} of the head's bytes.
     */
    public <T> void forEachLowerCase(T target, LowerCaseFieldSink<T> sink) {
        LowerCaseFieldCache cache = LowerCaseFieldCache.get();
        for (int i = 0; i < count; i++) {
            if (kind[i] == REMOVED) {
                continue;
            }
            if (kind[i] == ADDED) {
                sink.field(target, cache.lowerCase(text[2 * i]), text[2 * i + 1]);
                continue;
            }
            int nameStart = offsets[i * 4];
            int nameEnd = offsets[i * 4 + 1];
            int entry = cache.nameEntry(raw, nameStart, nameEnd, hashes[i]);
            AsciiString name = entry < 0 ? LowerCaseFieldCache.lowerCased(raw, nameStart, nameEnd) : cache.name(entry);
            CharSequence value = text[2 * i + 1];
            if (value == null) {
                int start = offsets[i * 4 + 2];
                value = cache.value(entry, raw, start, offsets[i * 4 + 3] - start);
            }
            sink.field(target, name, value);
        }
    }

    /** {@code name} lower-cased, the usual names from the thread's cache (what {@link #forEachLowerCase} uses). */
    public static AsciiString lowerCase(CharSequence name) {
        return LowerCaseFieldCache.get().lowerCase(name);
    }

    private void append(CharSequence name, Object value) {
        CharSequence v = toText(value);
        checkValue(v);
        int i = grow();
        kind[i] = ADDED;
        hashes[i] = nameHash(name);
        text[2 * i] = name;
        text[2 * i + 1] = v;
        count++;
        live++;
    }

    private static CharSequence toText(Object value) {
        if (value instanceof CharSequence cs) {
            return cs;
        }
        if (value instanceof Date d) {
            return DateFormatter.format(d);
        }
        return String.valueOf(value);
    }

    /** A value with CR, LF or NUL would split the message it is written into. */
    private static void checkValue(CharSequence v) {
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("a header value may not contain CR, LF or NUL: " + v);
            }
        }
    }

    /** Whether {@code c} is a token character (RFC 9110 §5.6.2), as field names and methods are made of. */
    public static boolean isTokenChar(int c) {
        return HeadParser.isTchar(c);
    }

    private static void checkName(CharSequence name) {
        if (name.length() == 0) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int k = 0; k < name.length(); k++) {
            if (!HeadParser.isTchar(name.charAt(k))) {
                throw new IllegalArgumentException("invalid header name: " + name);
            }
        }
    }

    private boolean removeAll(CharSequence name) {
        boolean any = false;
        int h = nameHash(name);
        for (int i = 0; i < count; i++) {
            if (hashes[i] == h && kind[i] != REMOVED && nameIs(i, name)) {
                kind[i] = REMOVED;
                live--;
                any = true;
            }
        }
        return any;
    }

    // ---------------------------------------------------------------- HttpHeaders

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        int i = find(name, 0);
        return i < 0 ? null : valueAt(i).toString();
    }

    @Override
    public Integer getInt(CharSequence name) {
        String v = get(name);
        try {
            return v == null ? null : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer v = getInt(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Short getShort(CharSequence name) {
        String v = get(name);
        try {
            return v == null ? null : Short.parseShort(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short v = getShort(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String v = get(name);
        Date d = v == null ? null : DateFormatter.parseHttpDate(v);
        return d == null ? null : d.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long v = getTimeMillis(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        int i = find(name, 0);
        if (i < 0) {
            return List.of();
        }
        int next = find(name, i + 1);
        if (next < 0) {
            return List.of(valueAt(i).toString()); // the usual case: one line, one small object
        }
        List<String> all = new ArrayList<>(4);
        all.add(valueAt(i).toString());
        for (i = next; i >= 0; i = find(name, i + 1)) {
            all.add(valueAt(i).toString());
        }
        return all;
    }

    @Override
    public boolean contains(String name) {
        return find(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name) {
        return find(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int i = find(name, 0); i >= 0; i = find(name, i + 1)) {
            CharSequence v = valueAt(i);
            if (ignoreCase ? AsciiString.contentEqualsIgnoreCase(v, value) : AsciiString.contentEquals(v, value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int i = find(name, 0); i >= 0; i = find(name, i + 1)) {
            CharSequence v = text[2 * i + 1];
            // A received value is read in place (Connection, on every keep-alive check), not made a String.
            if (v == null ? rawListContains(offsets[i * 4 + 2], offsets[i * 4 + 3], value, ignoreCase)
                    : listContains(v, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    /** {@link #listContains} over {@code raw[start, end)}. */
    private boolean rawListContains(int start, int end, CharSequence token, boolean ignoreCase) {
        for (int i = start; i <= end; ) {
            int stop = HeadParser.elementEnd(raw, i, end);
            int s = HeadParser.skipOws(raw, i, stop);
            if (HeadParser.trimOws(raw, s, stop) - s == token.length() && rawEquals(s, token, ignoreCase)) {
                return true;
            }
            i = stop + 1;
        }
        return false;
    }

    private boolean rawEquals(int at, CharSequence token, boolean ignoreCase) {
        for (int k = 0; k < token.length(); k++) {
            int b = raw[at + k] & 0xFF;
            int c = token.charAt(k);
            if (b != c && !(ignoreCase && lower((byte) b) == lower((byte) c) && c < 0x80)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a comma-separated list holds the token (trimmed of OWS). */
    private static boolean listContains(CharSequence list, CharSequence token, boolean ignoreCase) {
        int len = list.length();
        int start = 0;
        while (start <= len) {
            int end = start;
            while (end < len && list.charAt(end) != ',') {
                end++;
            }
            int s = start;
            int e = end;
            while (s < e && (list.charAt(s) == ' ' || list.charAt(s) == '\t')) {
                s++;
            }
            while (e > s && (list.charAt(e - 1) == ' ' || list.charAt(e - 1) == '\t')) {
                e--;
            }
            if (e - s == token.length() && (ignoreCase
                    ? AsciiString.regionMatches(list, true, s, token, 0, e - s)
                    : AsciiString.regionMatches(list, false, s, token, 0, e - s))) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> all = new ArrayList<>(live);
        for (int i = 0; i < count; i++) {
            if (kind[i] != REMOVED) {
                all.add(new AbstractMap.SimpleImmutableEntry<>(nameAt(i).toString(), valueAt(i).toString()));
            }
        }
        return all;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return new Fields<>(i -> new AbstractMap.SimpleImmutableEntry<>(nameAt(i).toString(), valueAt(i).toString()));
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new Fields<>(i -> new AbstractMap.SimpleImmutableEntry<>(nameAt(i), valueAt(i)));
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    /** Walks the live fields; each entry is a snapshot (set values through the headers). */
    private final class Fields<E> implements Iterator<E> {
        private final Function<Integer, E> entry;
        private int next = advance(0);

        Fields(Function<Integer, E> entry) {
            this.entry = entry;
        }

        private int advance(int from) {
            while (from < count && kind[from] == REMOVED) {
                from++;
            }
            return from;
        }

        @Override
        public boolean hasNext() {
            return next < count;
        }

        @Override
        public E next() {
            if (next >= count) {
                throw new NoSuchElementException();
            }
            E e = entry.apply(next);
            next = advance(next + 1);
            return e;
        }
    }

    @Override
    public boolean isEmpty() {
        return live == 0;
    }

    @Override
    public int size() {
        return live;
    }

    @Override
    public Set<String> names() {
        Set<String> all = new LinkedHashSet<>();
        for (int i = 0; i < count; i++) {
            if (kind[i] != REMOVED) {
                all.add(nameAt(i).toString());
            }
        }
        return all;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        checkName(name);
        append(name, value);
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        return add((CharSequence) name, values);
    }

    @Override
    public HttpHeaders add(CharSequence name, Iterable<?> values) {
        checkName(name);
        for (Object v : values) {
            append(name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders add(HttpHeaders headers) {
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            add(e.getKey(), e.getValue());
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        checkName(name);
        removeAll(name);
        append(name, value);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        return set((CharSequence) name, values);
    }

    @Override
    public HttpHeaders set(CharSequence name, Iterable<?> values) {
        checkName(name);
        removeAll(name);
        for (Object v : values) {
            append(name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        removeAll(name);
        return this;
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        removeAll(name);
        return this;
    }

    @Override
    public HttpHeaders clear() {
        Arrays.fill(kind, 0, count, REMOVED);
        live = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        HeaderBlock copy = new HeaderBlock(null, 0, live);
        for (int i = 0; i < count; i++) {
            if (kind[i] != REMOVED) {
                copy.append(nameAt(i), valueAt(i));
            }
        }
        return copy;
    }
}
