package io.ferry.server;

import io.ferry.config.FerryConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.frontend.Http1FrontEnd;
import io.ferry.frontend.RequestHeadTimeout;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;

/**
 * The client pipeline of one listener, top to bottom:
 * connection count/limit → TLS (https listeners) → request-head timeouts → HTTP/1.1 codec (line, header
 * and framing checks) → [chunked file writes on TLS] → the HTTP/1.1 front end, which runs one
 * exchange at a time (and times client inactivity). Limits, timeouts and the TLS
 * certificate come from the runtime current when the connection is accepted, so a reload applies
 * them to new connections.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ClientConnections connections;
    private final ProxySettings settings;

    ClientChannelInitializer(ClientConnections connections, ProxySettings settings) {
        this.connections = connections;
        this.settings = settings;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ProxyRuntime runtime = settings.runtime().get();
        FerryConfig config = runtime.config;
        ChannelPipeline p = ch.pipeline();
        p.addLast("connections", connections);
        if (settings.tls()) {
            SslContext ssl = runtime.tls.get(settings.listener());
            p.addLast("tls", ssl.newHandler(ch.alloc()));
        }
        var timeouts = config.timeouts();
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(
                timeouts.httpKeepAlive().toNanos(), timeouts.httpRequest().toNanos());
        p.addLast("head-timeout", headTimeout);
        p.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(config.limits().maxRequestLine())
                .setMaxHeaderSize(config.limits().maxHeaderSize())
                .setMaxChunkSize(64 * 1024)));
        if (settings.tls()) {
            p.addLast("chunked", new ChunkedWriteHandler()); // static files go through TLS in chunks
        }
        p.addLast("proxy", new Http1FrontEnd(settings, headTimeout));
    }
}
