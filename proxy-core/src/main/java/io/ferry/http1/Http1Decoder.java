package io.ferry.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.InvalidChunkTerminationException;
import io.netty.handler.codec.http.InvalidLineSeparatorException;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * Frames HTTP/1.1 messages (RFC 9112) out of a byte stream into Netty's message objects: a head whose
 * fields are a {@link HeaderBlock} over the received bytes, then the body as slices of the read buffer,
 * ending in a {@link LastHttpContent}. The head is scanned once for its end, copied once, and parsed
 * in place; nothing is turned into a String unless asked for.
 *
 * <p>Strict where smuggling lives: CRLF line ends only, no obs-fold, no whitespace before a colon, one
 * Content-Length of digits only, Transfer-Encoding ending in chunked (a request with both is refused),
 * chunk sizes of hex digits within an int, CRLF after each chunk. A malformed head is passed on as a
 * message whose {@link DecoderResult} failed, a malformed body as a failed last content; everything
 * after is dropped, as Netty's decoders do, so the front end answers 400 and closes.
 */
public abstract class Http1Decoder extends ByteToMessageDecoder {
    /** The longest chunk-size line (with extensions) accepted. */
    private static final int MAX_CHUNK_LINE = 4096;

    enum State { HEAD, FIXED, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BAD, UPGRADED }

    private final int maxStartLine;
    private final int maxHeaderSize;
    State state = State.HEAD;
    private long remaining;
    /** The message being received, from its head to its last content. */
    private HttpMessage message;
    // The head or trailer section being scanned, offsets from the reader index.
    private int scanned;
    private int lineStart;
    private int startLineLength = -1;
    private int headerBytes;
    private int fieldLines;

    protected Http1Decoder(int maxStartLine, int maxHeaderSize) {
        this.maxStartLine = maxStartLine;
        this.maxHeaderSize = maxHeaderSize;
    }

    /** The message for a parsed start line, its fields not yet read. */
    abstract HttpMessage startLine(HeadParser head);

    /** The message's head is complete and valid: its body's framing (RFC 9112 §6.3), as a next state. */
    abstract State framing(HttpMessage message, HeadParser head);

    /** The message object for a head whose start line could not be read. */
    abstract HttpMessage invalidMessage();

    /** What follows a message that ended (a protocol switch hands over the raw bytes). */
    State afterMessage(HttpMessage message) {
        return State.HEAD;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD -> head(in, out);
            case FIXED, CHUNK_DATA -> counted(in, out);
            case UNTIL_CLOSE -> {
                if (in.isReadable()) {
                    out.add(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                }
            }
            case CHUNK_SIZE -> chunkSize(in, out);
            case CHUNK_END -> chunkEnd(in, out);
            case TRAILERS -> trailers(in, out);
            case UPGRADED -> {
                if (in.isReadable()) {
                    out.add(in.readRetainedSlice(in.readableBytes()));
                }
            }
            case BAD -> in.skipBytes(in.readableBytes());
        }
    }

    // ---------------------------------------------------------------- the head

    private void head(ByteBuf in, List<Object> out) {
        if (scanned == 0) { // leading empty lines (RFC 9112 §2.2) and stray whitespace are skipped
            int r = in.readerIndex();
            int w = in.writerIndex();
            while (r < w && isSkippable(in.getByte(r))) {
                r++;
            }
            in.readerIndex(r);
            if (r == w) {
                return;
            }
        }
        int length;
        try {
            length = sectionLength(in, true);
        } catch (RuntimeException e) {
            out.add(fail(in, invalidMessage(), e));
            return;
        }
        if (length < 0) {
            return;
        }
        byte[] raw = new byte[length];
        in.readBytes(raw);
        int lines = fieldLines;
        resetScan();
        HeadParser head;
        HttpMessage msg;
        try {
            head = new HeadParser(raw, lines, HeaderBlock.EDIT_ROOM);
            msg = startLine(head);
        } catch (RuntimeException e) {
            out.add(fail(in, invalidMessage(), e));
            return;
        }
        State next;
        try {
            head.readFields(false);
            next = framing(msg, head);
        } catch (RuntimeException e) {
            out.add(fail(in, msg, e));
            return;
        }
        out.add(msg);
        message = msg;
        begin(next, head.contentLength, out);
    }

    private void begin(State next, long length, List<Object> out) {
        if (next == State.FIXED && length <= 0 || next == State.HEAD) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            messageDone();
        } else {
            remaining = length;
            state = next;
        }
    }

    private void messageDone() {
        HttpMessage done = message;
        message = null;
        state = afterMessage(done);
    }

    private static boolean isSkippable(byte b) {
        return b == '\r' || b == '\n' || b == ' ' || b == '\t';
    }

    /**
     * The length of the head (start line and fields) or trailer section that starts at the reader index,
     * including its empty line, or -1 while it is incomplete. Throws when a line ends in a bare LF or a
     * limit is passed. Resumes where the last call stopped.
     */
    private int sectionLength(ByteBuf in, boolean startLine) {
        int r = in.readerIndex();
        int w = in.writerIndex();
        if (!startLine && startLineLength < 0) {
            startLineLength = 0; // a trailer section has no start line
        }
        while (true) {
            int lf = in.indexOf(r + scanned, w, (byte) '\n');
            if (lf < 0) {
                scanned = w - r;
                int pending = w - r - lineStart;
                if (startLineLength < 0 && pending > maxStartLine + 1) {
                    throw new TooLongHttpLineException("An HTTP line is larger than " + maxStartLine + " bytes.");
                }
                if (startLineLength >= 0 && headerBytes + pending > maxHeaderSize + 1) {
                    throw new TooLongHttpHeaderException("HTTP header is larger than " + maxHeaderSize + " bytes.");
                }
                return -1;
            }
            int len = lf - 1 - (r + lineStart); // -1: the line is a bare LF
            if (len < 0 || in.getByte(lf - 1) != '\r') {
                throw new InvalidLineSeparatorException("Line Feed must be preceded by Carriage Return");
            }
            if (startLineLength < 0) {
                if (len > maxStartLine) {
                    throw new TooLongHttpLineException("An HTTP line is larger than " + maxStartLine + " bytes.");
                }
                startLineLength = len;
            } else if (len == 0) {
                return lf + 1 - r;
            } else {
                headerBytes += len;
                fieldLines++;
                if (headerBytes > maxHeaderSize) {
                    throw new TooLongHttpHeaderException("HTTP header is larger than " + maxHeaderSize + " bytes.");
                }
            }
            lineStart = lf + 1 - r;
            scanned = lineStart;
        }
    }

    private void resetScan() {
        scanned = 0;
        lineStart = 0;
        startLineLength = -1;
        headerBytes = 0;
        fieldLines = 0;
    }

    // ---------------------------------------------------------------- the body

    /** A Content-Length body or a chunk's data: slices of what was read, never more than declared. */
    private void counted(ByteBuf in, List<Object> out) {
        int n = (int) Math.min(in.readableBytes(), remaining);
        if (n == 0) {
            return;
        }
        ByteBuf part = in.readRetainedSlice(n);
        remaining -= n;
        if (remaining > 0) {
            out.add(new DefaultHttpContent(part));
        } else if (state == State.CHUNK_DATA) {
            out.add(new DefaultHttpContent(part));
            state = State.CHUNK_END;
        } else {
            out.add(new DefaultLastHttpContent(part, EmptyHttpHeaders.INSTANCE));
            messageDone();
        }
    }

    /** {@code 1*HEXDIG [ chunk-ext ] CRLF} (RFC 9112 §7.1), at most an int. */
    private void chunkSize(ByteBuf in, List<Object> out) {
        int r = in.readerIndex();
        int lf = in.indexOf(r, in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > MAX_CHUNK_LINE) {
                out.add(failBody(in, new IllegalArgumentException("chunk size line too long")));
            }
            return;
        }
        try {
            if (lf == r || in.getByte(lf - 1) != '\r') {
                throw new InvalidLineSeparatorException("Line Feed must be preceded by Carriage Return in a chunk size line");
            }
            long size = 0;
            int i = r;
            int end = lf - 1;
            for (; i < end; i++) {
                int d = Character.digit(in.getByte(i), 16);
                if (d < 0) {
                    break;
                }
                size = size * 16 + d;
                if (size > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("chunk size overflow");
                }
            }
            if (i == r) {
                throw new IllegalArgumentException("invalid character in chunk size");
            }
            while (i < end && (in.getByte(i) == ' ' || in.getByte(i) == '\t')) {
                i++;
            }
            if (i < end && in.getByte(i) != ';') {
                throw new IllegalArgumentException("invalid character in chunk size");
            }
            for (; i < end; i++) {
                int b = in.getByte(i) & 0xFF;
                if (b < 0x20 && b != '\t' || b == 0x7F) {
                    throw new IllegalArgumentException("invalid character in a chunk extension");
                }
            }
            in.readerIndex(lf + 1);
            if (size == 0) {
                state = State.TRAILERS;
            } else {
                remaining = size;
                state = State.CHUNK_DATA;
            }
        } catch (RuntimeException e) {
            out.add(failBody(in, e));
        }
    }

    private void chunkEnd(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 2) {
            if (in.isReadable() && in.getByte(in.readerIndex()) != '\r') {
                out.add(failBody(in, new InvalidChunkTerminationException("a chunk's data must end in CRLF")));
            }
            return;
        }
        int r = in.readerIndex();
        if (in.getByte(r) != '\r' || in.getByte(r + 1) != '\n') {
            out.add(failBody(in, new InvalidChunkTerminationException("a chunk's data must end in CRLF")));
            return;
        }
        in.skipBytes(2);
        state = State.CHUNK_SIZE;
    }

    /** The trailer section after the last chunk: fields as in a head, framing fields dropped. */
    private void trailers(ByteBuf in, List<Object> out) {
        int length;
        try {
            length = sectionLength(in, false);
        } catch (RuntimeException e) {
            resetScan();
            out.add(failBody(in, e));
            return;
        }
        if (length < 0) {
            return;
        }
        int lines = fieldLines;
        resetScan();
        if (length == 2) {
            in.skipBytes(2);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            messageDone();
            return;
        }
        byte[] raw = new byte[length + 2];
        raw[0] = '\r';
        raw[1] = '\n'; // an empty start line, so the section parses as a head
        in.readBytes(raw, 2, length);
        try {
            HeadParser section = new HeadParser(raw, lines, 0);
            section.readFields(true);
            out.add(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, section.fields));
            messageDone();
        } catch (RuntimeException e) {
            out.add(failBody(in, e));
        }
    }

    // ---------------------------------------------------------------- failures and the end

    private HttpMessage fail(ByteBuf in, HttpMessage msg, Exception cause) {
        state = State.BAD;
        resetScan();
        in.skipBytes(in.readableBytes());
        msg.setDecoderResult(DecoderResult.failure(cause));
        message = null;
        return msg;
    }

    private HttpContent failBody(ByteBuf in, Exception cause) {
        state = State.BAD;
        in.skipBytes(in.readableBytes());
        HttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE);
        last.setDecoderResult(DecoderResult.failure(cause));
        message = null;
        return last;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // the close ends a body without a length
            messageDone();
        }
        // A body cut short by the close is not ended here: the connection's handler sees it closed.
    }
}
