package io.ferry.compress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.stream.ChunkedInput;

/**
 * A file read in chunks and compressed as it is read, for a static file without a precompressed sibling
 * (nginx's {@code gzip on} for files): each chunk is read only when the client's connection takes more
 * (the chunked writer's backpressure), compressed, and written; the last chunk carries the encoder's end.
 * Never returns an empty part (an empty chunk would end an HTTP/1.1 chunked body).
 */
public final class CompressingInput implements ChunkedInput<HttpContent> {
    private final ChunkedInput<ByteBuf> source;
    private final BodyEncoder encoder;
    private boolean ended;

    public CompressingInput(ChunkedInput<ByteBuf> source, BodyEncoder encoder) {
        this.source = source;
        this.encoder = encoder;
    }

    @Override
    public boolean isEndOfInput() {
        return ended;
    }

    @Override
    public void close() throws Exception {
        try {
            source.close();
        } finally {
            encoder.close();
        }
    }

    @Deprecated
    @Override
    public HttpContent readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    @Override
    public HttpContent readChunk(ByteBufAllocator alloc) throws Exception {
        if (ended) {
            return null;
        }
        while (!source.isEndOfInput()) {
            ByteBuf in = source.readChunk(alloc);
            if (in == null) {
                return null;
            }
            ByteBuf out;
            try {
                out = encoder.encode(alloc, in);
            } finally {
                in.release();
            }
            if (out.isReadable()) {
                return new DefaultHttpContent(out);
            }
            out.release();
        }
        ended = true;
        return new DefaultLastHttpContent(encoder.finish(alloc));
    }

    @Override
    public long length() {
        return -1; // not known before it is compressed
    }

    @Override
    public long progress() {
        return source.progress();
    }
}
