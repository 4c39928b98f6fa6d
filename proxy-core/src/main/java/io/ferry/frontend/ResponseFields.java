package io.ferry.frontend;

import io.netty.handler.codec.EmptyHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A response head or trailers on their way to HPACK: :status and the fields in order, in one array. The
 * encoder only walks them, so the hash table, linked entries and name validation of {@code DefaultHttp2Headers}
 * (about a tenth of what a 1 KiB HTTP/2 answer allocated) buy nothing here. Lookups are linear scans; the only
 * writes are {@link #status(CharSequence)} and {@link #add(CharSequence, CharSequence)}, the others are
 * refused as in {@link EmptyHeaders}.
 *
 * <p>The iterator hands out one entry object, overwritten at each step, as the HPACK encoder reads each
 * entry before it takes the next: an entry must not be kept past its step.
 */
final class ResponseFields extends EmptyHeaders<CharSequence, CharSequence, Http2Headers> implements Http2Headers {
    private static final CharSequence STATUS = PseudoHeaderName.STATUS.value();

    private CharSequence status;
    /** Names at even indexes, their values after them. */
    private CharSequence[] fields;
    private int size;

    ResponseFields(int expected) {
        fields = new CharSequence[Math.max(2, 2 * expected)];
    }

    @Override
    public Http2Headers status(CharSequence value) {
        status = value;
        return this;
    }

    @Override
    public CharSequence status() {
        return status;
    }

    @Override
    public Http2Headers add(CharSequence name, CharSequence value) {
        if (size == fields.length) {
            fields = Arrays.copyOf(fields, 2 * fields.length);
        }
        fields[size++] = name;
        fields[size++] = value;
        return this;
    }

    @Override
    public int size() {
        return size / 2 + (status == null ? 0 : 1);
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public CharSequence get(CharSequence name) {
        if (AsciiString.contentEquals(STATUS, name)) {
            return status;
        }
        for (int i = 0; i < size; i += 2) {
            if (AsciiString.contentEqualsIgnoreCase(fields[i], name)) {
                return fields[i + 1];
            }
        }
        return null;
    }

    @Override
    public List<CharSequence> getAll(CharSequence name) {
        List<CharSequence> all = new ArrayList<>(2);
        if (AsciiString.contentEquals(STATUS, name)) {
            if (status != null) {
                all.add(status);
            }
            return all;
        }
        for (int i = 0; i < size; i += 2) {
            if (AsciiString.contentEqualsIgnoreCase(fields[i], name)) {
                all.add(fields[i + 1]);
            }
        }
        return all;
    }

    @Override
    public boolean contains(CharSequence name) {
        return get(name) != null;
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value) {
        return contains(name, value, false);
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean caseInsensitive) {
        for (CharSequence v : getAll(name)) {
            if (caseInsensitive ? AsciiString.contentEqualsIgnoreCase(v, value) : AsciiString.contentEquals(v, value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Iterator<CharSequence> valueIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
        return new Walk();
    }

    @Override
    public Http2Headers method(CharSequence value) {
        throw refused("a response has no :method");
    }

    @Override
    public Http2Headers scheme(CharSequence value) {
        throw refused("a response has no :scheme");
    }

    @Override
    public Http2Headers authority(CharSequence value) {
        throw refused("a response has no :authority");
    }

    @Override
    public Http2Headers path(CharSequence value) {
        throw refused("a response has no :path");
    }

    @Override
    public CharSequence method() {
        return null;
    }

    @Override
    public CharSequence scheme() {
        return null;
    }

    @Override
    public CharSequence authority() {
        return null;
    }

    @Override
    public CharSequence path() {
        return null;
    }

    /** The refusal of an edit this container does not take, as {@link EmptyHeaders} refuses its own. */
    private static UnsupportedOperationException refused(String why) {
        return new UnsupportedOperationException(why);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ResponseFields[");
        Iterator<Map.Entry<CharSequence, CharSequence>> it = iterator();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> f = it.next();
            b.append(f.getKey()).append(": ").append(f.getValue()).append(it.hasNext() ? ", " : "");
        }
        return b.append(']').toString();
    }

    /** :status first (RFC 9113 §8.3: pseudo-header fields before the others), then the fields in order. */
    private final class Walk implements Iterator<Map.Entry<CharSequence, CharSequence>>,
            Map.Entry<CharSequence, CharSequence> {
        private int next = status == null ? 0 : -2;
        private CharSequence name;
        private CharSequence value;

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public Map.Entry<CharSequence, CharSequence> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (next < 0) {
                name = STATUS;
                value = status;
            } else {
                name = fields[next];
                value = fields[next + 1];
            }
            next += 2;
            return this;
        }

        @Override
        public CharSequence getKey() {
            return name;
        }

        @Override
        public CharSequence getValue() {
            return value;
        }

        @Override
        public CharSequence setValue(CharSequence v) {
            throw refused("fields are not edited while they are walked");
        }
    }
}
