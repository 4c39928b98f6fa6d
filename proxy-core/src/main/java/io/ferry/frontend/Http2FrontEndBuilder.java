package io.ferry.frontend;

import io.ferry.config.Http2Config;
import io.ferry.exchange.ProxySettings;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * Builds a client connection's {@link Http2ConnectionFrontEnd} on Netty's server codec, with Ferry's
 * limits, {@link Http2Guard} outermost around the decoder, and response DATA shared between streams in
 * slices of a whole frame (Netty's default of 1 KiB makes a 100 KiB response a hundred tiny frames).
 */
final class Http2FrontEndBuilder
        extends AbstractHttp2ConnectionHandlerBuilder<Http2ConnectionFrontEnd, Http2FrontEndBuilder> {
    private final ProxySettings settings;
    private final Http2Config config;
    private final long idleNanos;
    private final long lingerNanos;
    private final long clientTimeoutNanos;
    private final String clientIp;

    Http2FrontEndBuilder(ProxySettings settings, Http2Config config, long idleNanos, long lingerNanos,
            long clientTimeoutNanos, String clientIp) {
        this.settings = settings;
        this.config = config;
        this.idleNanos = idleNanos;
        this.lingerNanos = lingerNanos;
        this.clientTimeoutNanos = clientTimeoutNanos;
        this.clientIp = clientIp;
        DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
        // Streams share the connection window evenly, 16 KiB at a time (a whole frame): RFC 9113 §5.3
        // deprecates the priority tree Netty's default distributor keeps per stream, and HAProxy ignores it too.
        UniformStreamByteDistributor distributor = new UniformStreamByteDistributor(connection);
        distributor.minAllocationChunk(16 * 1024);
        connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, distributor));
        connection(connection);
        initialSettings(Http2Settings.defaultSettings()
                .maxConcurrentStreams(config.maxConcurrentStreams())
                .initialWindowSize(config.initialWindowSize())
                .maxFrameSize(config.maxFrameSize())
                .maxHeaderListSize(config.maxHeaderListSize()));
        validateHeaders(true);
        validateRequiredPseudoHeaders(true);
        decoderEnforceMaxRstFramesPerWindow(config.maxResets(), (int) Math.max(1, config.resetWindow().toSeconds()));
        decoderEnforceMaxSmallContinuationFrames(config.maxContinuationFrames());
        decoderEnforceMaxConsecutiveEmptyDataFrames(config.maxEmptyDataFrames());
        encoderEnforceMaxQueuedControlFrames(config.maxQueuedControlFrames());
    }

    @Override
    public Http2ConnectionFrontEnd build() {
        return super.build();
    }

    @Override
    protected Http2ConnectionFrontEnd build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
            Http2Settings initialSettings) {
        return new Http2ConnectionFrontEnd(new Http2Guard(decoder, settings, config), encoder, initialSettings,
                settings, idleNanos, lingerNanos, clientTimeoutNanos, clientIp);
    }
}
