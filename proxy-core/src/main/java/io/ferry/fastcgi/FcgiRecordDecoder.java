package io.ferry.fastcgi;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Splits a FastCGI byte stream into {@link FcgiRecord}s. A record is emitted only when complete; its
 * content is a retained slice of the input (no copy) and padding is skipped. Records are at most
 * 64 KiB, so the cumulation stays bounded.
 */
public final class FcgiRecordDecoder extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= FcgiRecord.HEADER_LENGTH) {
            int start = in.readerIndex();
            int version = in.getUnsignedByte(start);
            if (version != FcgiRecord.VERSION_1) {
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException("not a FastCGI 1 record (version byte " + version + ")");
            }
            int type = in.getUnsignedByte(start + 1);
            int requestId = in.getUnsignedShort(start + 2);
            int contentLength = in.getUnsignedShort(start + 4);
            int padding = in.getUnsignedByte(start + 6);
            int total = FcgiRecord.HEADER_LENGTH + contentLength + padding;
            if (in.readableBytes() < total) {
                return;
            }
            ByteBuf content = in.retainedSlice(start + FcgiRecord.HEADER_LENGTH, contentLength);
            in.skipBytes(total);
            out.add(new FcgiRecord(type, requestId, content));
        }
    }
}
