package io.ferry.frontend;

import io.ferry.config.Http2Config;
import io.ferry.exchange.ProxySettings;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.WeightedFairQueueByteDistributor;

/**
 * Netty's server frame codec with {@link Http2Guard} around its decoder, outermost, and response DATA
 * shared between streams in slices of a whole frame (Netty's default of 1 KiB makes a 100 KiB response
 * a hundred writes of tiny frames).
 */
final class GuardedFrameCodecBuilder extends Http2FrameCodecBuilder {
    private final ProxySettings settings;
    private final Http2Config config;

    GuardedFrameCodecBuilder(ProxySettings settings, Http2Config config) {
        this.settings = settings;
        this.config = config;
        DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
        WeightedFairQueueByteDistributor distributor = new WeightedFairQueueByteDistributor(connection);
        distributor.allocationQuantum(16 * 1024);
        connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, distributor));
        connection(connection);
    }

    @Override
    protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
            Http2Settings initialSettings) {
        return super.build(new Http2Guard(decoder, settings, config), encoder, initialSettings);
    }
}
