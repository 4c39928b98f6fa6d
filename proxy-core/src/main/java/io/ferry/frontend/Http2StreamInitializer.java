package io.ferry.frontend;

import io.ferry.exchange.ProxySettings;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamChannel;

/**
 * The pipeline of one HTTP/2 stream (a child channel of the connection): response objects become frames
 * at the bottom, the stream's front end on top (a static file adds chunked writes between them).
 */
final class Http2StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    private final ProxySettings settings;
    private final Http2ConnectionFrontEnd connection;

    Http2StreamInitializer(ProxySettings settings, Http2ConnectionFrontEnd connection) {
        this.settings = settings;
        this.connection = connection;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast("h2-frames", new Http2ResponseEncoder());
        ch.pipeline().addLast("stream", new Http2StreamFrontEnd(settings, connection, connection.clientIp()));
    }
}
