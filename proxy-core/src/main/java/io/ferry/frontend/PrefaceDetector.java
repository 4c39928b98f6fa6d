package io.ferry.frontend;

import io.ferry.exchange.ProxySettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;

/**
 * On a cleartext listener that speaks both protocols: an HTTP/2 client with prior knowledge opens with
 * the connection preface (RFC 9113 §3.3); anything else is HTTP/1.1. Decides on the first bytes that
 * tell them apart, then steps aside and hands them on.
 */
final class PrefaceDetector extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final ProxySettings settings;

    PrefaceDetector(ProxySettings settings) {
        this.settings = settings;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean matches = n > 0 && in.slice(in.readerIndex(), n).equals(PREFACE.slice(0, n));
        if (matches && n < PREFACE.readableBytes()) {
            return; // a prefix of the preface: wait for the rest
        }
        var config = settings.runtime().get().config;
        if (matches) {
            FrontEnds.http2(ctx.pipeline(), settings, config);
        } else if (n > 0) {
            FrontEnds.http1(ctx.pipeline(), settings, config);
        } else {
            return;
        }
        ctx.pipeline().remove(this); // hands the bytes read so far to the protocol's codec
    }
}
