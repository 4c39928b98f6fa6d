package io.ferry.http1;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Reads the parts of an HTTP/1.1 head (RFC 9112 §2–§5) out of its bytes: the start line and the field
 * lines, each validated as it is read. Field lines go into a {@link HeaderBlock} as offsets; the framing
 * fields (Content-Length, Transfer-Encoding) are noted on the way, so the body's length is known without
 * a second look. Anything malformed throws {@link IllegalArgumentException}, which becomes a 400 (or a
 * 502 from a backend).
 */
final class HeadParser {
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    static boolean isTchar(int c) {
        return c >= 0 && c < 128 && TCHAR[c];
    }

    private final byte[] raw;
    /** Where the start line ends (its CR) and where the fields start. */
    final int startLineEnd;
    final HeaderBlock fields;
    // Framing, as the fields declare it.
    int contentLengths;
    long contentLength = -1;
    int transferEncodings;
    /** The last coding of the last Transfer-Encoding line is chunked. */
    boolean chunkedLast;
    /** Chunked appears anywhere but last. */
    boolean chunkedNotLast;

    /**
     * {@code raw} holds the head from the start line to the empty line's CRLF; every line ends in CRLF
     * (the decoder has checked), and has {@code fieldLines} field lines (the decoder has counted them); the
     * block gets room for {@code editRoom} fields more. A trailer section is given with an empty line in
     * front, as its start line.
     */
    HeadParser(byte[] raw, int fieldLines, int editRoom) {
        this.raw = raw;
        this.startLineEnd = lineEnd(0);
        this.fields = new HeaderBlock(raw, fieldLines, fieldLines + editRoom);
    }

    // ---------------------------------------------------------------- the start line

    private int pos;

    /** The request line's method; leaves the position after it and its separating whitespace. */
    HttpMethod method() {
        int end = 0;
        while (end < startLineEnd && raw[end] != ' ' && raw[end] != '\t') {
            if (!isTchar(raw[end])) {
                throw new IllegalArgumentException("illegal character in the method: 0x" + Integer.toHexString(raw[end] & 0xFF));
            }
            end++;
        }
        if (end == 0 || end == startLineEnd) {
            throw new IllegalArgumentException("not a request line");
        }
        pos = skipSpace(end);
        return knownMethod(end);
    }

    private HttpMethod knownMethod(int len) {
        switch (len) {
            case 3:
                if (is(0, "GET")) {
                    return HttpMethod.GET;
                }
                if (is(0, "PUT")) {
                    return HttpMethod.PUT;
                }
                break;
            case 4:
                if (is(0, "POST")) {
                    return HttpMethod.POST;
                }
                if (is(0, "HEAD")) {
                    return HttpMethod.HEAD;
                }
                break;
            case 5:
                if (is(0, "PATCH")) {
                    return HttpMethod.PATCH;
                }
                if (is(0, "TRACE")) {
                    return HttpMethod.TRACE;
                }
                break;
            case 6:
                if (is(0, "DELETE")) {
                    return HttpMethod.DELETE;
                }
                break;
            case 7:
                if (is(0, "OPTIONS")) {
                    return HttpMethod.OPTIONS;
                }
                if (is(0, "CONNECT")) {
                    return HttpMethod.CONNECT;
                }
                break;
            default:
                break;
        }
        return HttpMethod.valueOf(text(0, len));
    }

    /** The request target: any visible byte or obs-text, no control characters (a smuggling vector). */
    String target() {
        int start = pos;
        int end = start;
        while (end < startLineEnd && raw[end] != ' ' && raw[end] != '\t') {
            int b = raw[end] & 0xFF;
            if (b < 0x21 || b == 0x7F) {
                throw new IllegalArgumentException("illegal character in the request target: 0x" + Integer.toHexString(b));
            }
            end++;
        }
        if (end == start || end == startLineEnd) {
            throw new IllegalArgumentException("not a request line");
        }
        pos = skipSpace(end);
        return text(start, end - start);
    }

    /** The request's version: the rest of the line. */
    HttpVersion requestVersion() {
        int start = pos;
        for (int i = start; i < startLineEnd; i++) {
            if (raw[i] <= ' ') {
                throw new IllegalArgumentException("illegal character in the request line: 0x" + Integer.toHexString(raw[i] & 0xFF));
            }
        }
        return version(start, startLineEnd);
    }

    /** A status line's version; leaves the position at the status code. */
    HttpVersion responseVersion() {
        int end = 0;
        while (end < startLineEnd && raw[end] != ' ') {
            end++;
        }
        if (end == startLineEnd) {
            throw new IllegalArgumentException("not a status line");
        }
        pos = end + 1;
        return version(0, end);
    }

    int statusCode() {
        if (pos + 3 > startLineEnd) {
            throw new IllegalArgumentException("not a status line");
        }
        int code = 0;
        for (int i = pos; i < pos + 3; i++) {
            if (raw[i] < '0' || raw[i] > '9') {
                throw new IllegalArgumentException("the status code is not three digits");
            }
            code = code * 10 + raw[i] - '0';
        }
        pos += 3;
        if (pos < startLineEnd && raw[pos] != ' ') {
            throw new IllegalArgumentException("the status code is not three digits");
        }
        if (code < 100) {
            throw new IllegalArgumentException("status code " + code);
        }
        return code;
    }

    String reason() {
        int start = Math.min(pos + 1, startLineEnd);
        for (int i = start; i < startLineEnd; i++) {
            int b = raw[i] & 0xFF;
            if (b < 0x20 && b != '\t' || b == 0x7F) {
                throw new IllegalArgumentException("illegal character in the reason phrase");
            }
        }
        return text(start, startLineEnd - start);
    }

    private HttpVersion version(int start, int end) {
        if (end - start == 8 && is(start, "HTTP/1.")) {
            if (raw[start + 7] == '1') {
                return HttpVersion.HTTP_1_1;
            }
            if (raw[start + 7] == '0') {
                return HttpVersion.HTTP_1_0;
            }
        }
        // Anything else is a new instance: RequestValidation answers 505 or, for "http/1.1", 400.
        return new HttpVersion(text(start, end - start), true);
    }

    private int skipSpace(int i) {
        while (i < startLineEnd && (raw[i] == ' ' || raw[i] == '\t')) {
            i++;
        }
        return i;
    }

    private boolean is(int at, String s) {
        for (int k = 0; k < s.length(); k++) {
            if (raw[at + k] != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private String text(int start, int len) {
        return new String(raw, start, len, StandardCharsets.ISO_8859_1);
    }

    // ---------------------------------------------------------------- the field lines

    /** Reads every field line after the start line, up to the empty line. */
    void readFields(boolean trailers) {
        int line = startLineEnd + 2;
        while (true) {
            int cr = lineEnd(line);
            if (cr == line) {
                return; // the empty line
            }
            field(line, cr, trailers);
            line = cr + 2;
        }
    }

    /** Where the line starting at {@code from} ends: the CR before its LF (a bare CR inside is content). */
    private int lineEnd(int from) {
        int lf = from;
        while (raw[lf] != '\n') {
            lf++;
        }
        return lf - 1;
    }

    private void field(int start, int end, boolean trailer) {
        byte first = raw[start];
        if (first == ' ' || first == '\t') {
            throw new IllegalArgumentException("obsolete line folding (RFC 9112 §5.2)");
        }
        int colon = start;
        while (colon < end && raw[colon] != ':') {
            if (!isTchar(raw[colon])) {
                throw new IllegalArgumentException("a header name can only contain token characters, found 0x"
                        + Integer.toHexString(raw[colon] & 0xFF));
            }
            colon++;
        }
        if (colon == end) {
            throw new IllegalArgumentException("no colon in a header line");
        }
        if (colon == start) {
            throw new IllegalArgumentException("empty header name");
        }
        int vs = colon + 1;
        while (vs < end && (raw[vs] == ' ' || raw[vs] == '\t')) {
            vs++;
        }
        int ve = end;
        while (ve > vs && (raw[ve - 1] == ' ' || raw[ve - 1] == '\t')) {
            ve--;
        }
        for (int i = vs; i < ve; i++) {
            int b = raw[i] & 0xFF;
            if (b < 0x20 && b != '\t' || b == 0x7F) {
                throw new IllegalArgumentException("illegal character 0x" + Integer.toHexString(b) + " in header "
                        + text(start, colon - start));
            }
        }
        int nameLen = colon - start;
        if (nameLen == 14 && named(start, "content-length")) {
            if (trailer) {
                return; // framing fields in a trailer are dropped (RFC 9110 §6.5.1)
            }
            contentLength(vs, ve);
        } else if (nameLen == 17 && named(start, "transfer-encoding")) {
            if (trailer) {
                return;
            }
            transferEncoding(vs, ve);
        } else if (trailer && nameLen == 7 && named(start, "trailer")) {
            return;
        }
        fields.addReceived(start, colon, vs, ve);
    }

    private boolean named(int at, String lower) {
        for (int k = 0; k < lower.length(); k++) {
            int b = raw[at + k];
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private void contentLength(int vs, int ve) {
        if (++contentLengths > 1) {
            throw new IllegalArgumentException("multiple Content-Length fields");
        }
        if (vs == ve || ve - vs > 18) {
            throw new IllegalArgumentException("Content-Length is not a number");
        }
        long n = 0;
        for (int i = vs; i < ve; i++) {
            if (raw[i] < '0' || raw[i] > '9') {
                throw new IllegalArgumentException("Content-Length is not a number: " + text(vs, ve - vs));
            }
            n = n * 10 + raw[i] - '0';
        }
        contentLength = n;
    }

    /** Notes where chunked stands among the codings (RFC 9112 §6.1: it must be last, and only once). */
    private void transferEncoding(int vs, int ve) {
        transferEncodings++;
        for (int i = vs; i <= ve; ) {
            int end = elementEnd(raw, i, ve);
            int s = skipOws(raw, i, end);
            int e = trimOws(raw, s, end);
            if (e > s) {
                if (chunkedLast) {
                    chunkedNotLast = true; // a coding after chunked
                }
                chunkedLast = e - s == 7 && named(s, "chunked");
            }
            i = end + 1;
        }
    }

    // ---------------------------------------------------------------- comma-separated lists (RFC 9110 §5.6.1)

    /** Where the list element starting at {@code from} ends: the next comma, or {@code end}. */
    static int elementEnd(byte[] raw, int from, int end) {
        while (from < end && raw[from] != ',') {
            from++;
        }
        return from;
    }

    /** The first position in {@code [s, e)} past optional whitespace, or {@code e}. */
    static int skipOws(byte[] raw, int s, int e) {
        while (s < e && (raw[s] == ' ' || raw[s] == '\t')) {
            s++;
        }
        return s;
    }

    /** The end of {@code [s, e)} without its trailing optional whitespace. */
    static int trimOws(byte[] raw, int s, int e) {
        while (e > s && (raw[e - 1] == ' ' || raw[e - 1] == '\t')) {
            e--;
        }
        return e;
    }
}
