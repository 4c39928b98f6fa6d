package io.ferry.frontend;

import io.ferry.config.Http2Config;
import io.ferry.exchange.ProxySettings;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/** Netty's server frame codec with {@link Http2Guard} around its decoder, outermost. */
final class GuardedFrameCodecBuilder extends Http2FrameCodecBuilder {
    private final ProxySettings settings;
    private final Http2Config config;

    GuardedFrameCodecBuilder(ProxySettings settings, Http2Config config) {
        this.settings = settings;
        this.config = config;
        server(true);
    }

    @Override
    protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
            Http2Settings initialSettings) {
        return super.build(new Http2Guard(decoder, settings, config), encoder, initialSettings);
    }
}
