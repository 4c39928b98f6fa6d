package io.ferry.compress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One response body being compressed, part by part: each part is compressed and flushed as it comes (so
 * a stream, SSE or long polling, reaches the client event by event and nothing is held whole), the end
 * closes the stream. Works through the encoding's OutputStream into a sink that collects into a ByteBuf.
 * {@link #close} frees a native encoder's memory however the response ends.
 */
public final class BodyEncoder implements AutoCloseable {
    private final Sink sink = new Sink();
    private final OutputStream stream;
    private final byte[] scratch = new byte[8192];
    /** What the stream wrote when it opened (gzip's header): it leads the first part. */
    private byte[] opening;
    private boolean closed;

    BodyEncoder(Encodings.StreamFactory factory) throws IOException {
        sink.target = io.netty.buffer.Unpooled.buffer(32);
        this.stream = factory.open(sink);
        ByteBuf head = sink.take();
        opening = io.netty.buffer.ByteBufUtil.getBytes(head);
        head.release();
    }

    private void startPart(ByteBufAllocator alloc, int sizeHint) {
        sink.target = alloc.heapBuffer(Math.max(64, sizeHint));
        if (opening != null) {
            sink.target.writeBytes(opening);
            opening = null;
        }
    }

    /** {@code in} compressed (read, not released); an empty buffer when the encoder held it all back. */
    public ByteBuf encode(ByteBufAllocator alloc, ByteBuf in) throws IOException {
        startPart(alloc, in.readableBytes() / 2);
        try {
            while (in.isReadable()) {
                int n = Math.min(scratch.length, in.readableBytes());
                in.readBytes(scratch, 0, n);
                stream.write(scratch, 0, n);
            }
            stream.flush();
            return sink.take();
        } catch (IOException | RuntimeException e) {
            sink.take().release();
            throw e;
        }
    }

    /** The end of the stream (trailer, checksum). */
    public ByteBuf finish(ByteBufAllocator alloc) throws IOException {
        startPart(alloc, 64);
        try {
            closed = true;
            stream.close();
            return sink.take();
        } catch (IOException | RuntimeException e) {
            sink.take().release();
            throw e;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sink.target = null;
            try {
                stream.close(); // frees a native encoder; what it writes now goes nowhere
            } catch (IOException | RuntimeException ignored) {
                // the response is gone already
            }
        }
    }

    /** Where the encoder writes: the current part's buffer, or nowhere once the response is gone. */
    private static final class Sink extends OutputStream {
        ByteBuf target;

        ByteBuf take() {
            ByteBuf b = target;
            target = null;
            return b;
        }

        @Override
        public void write(int b) {
            if (target != null) {
                target.writeByte(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (target != null) {
                target.writeBytes(b, off, len);
            }
        }
    }
}
